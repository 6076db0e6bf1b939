#!/usr/bin/env python3
"""FT benchmark: failure detection latency and revoke+agree+shrink time against job size.

For each job size and detection mode it runs real jobs through pfs-run (plain layout, ranks
oversubscribed on this machine): a middle rank SIGKILLs itself, survivors detect, revoke, agree,
shrink and build a communicator. Reported per configuration (medians over --reps runs):
  detect_first_ms   kill -> first survivor's detection
  detect_all_ms     kill -> last survivor's detection (notices included)
  shrink_ms         revoke + agree + shrink (median over survivors)
  comm_ms           MPI_Comm_create_group over the survivors
  barrier_us        baseline: MPI_Barrier on the same ranks before the failure (same run)
  msgs_rank_median / msgs_rank_max / msgs_coordinator: control messages sent per rank
Modes: pmix (PMIx table polling + heartbeats, the default) and heartbeat (PFS_FT_PMIX_POLL_MS=0).
Writes JSON (--out) and prints a table.
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time

def run_one(bin_dir, n, mode, kill_at_ms, timeout):
    victim = n // 2
    with tempfile.TemporaryDirectory(prefix="pfs-ftbench-") as work:
        cmd = [os.path.join(bin_dir, "pfs-run"), "--oversubscribe", "--timeout", str(timeout),
               "--root", work + "/root", "--run-dir", work + "/run", "--plain", str(n)]
        if mode == "heartbeat":
            cmd += ["-x", "PFS_FT_PMIX_POLL_MS=0"]
        cmd += ["--", os.path.join(bin_dir, "ft-scenario"), "--victims", str(victim),
                "--kill-at-ms", str(kill_at_ms), "--expect-failed", str(victim)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30)
    out = p.stdout + p.stderr
    if p.returncode != 0 or "SCENARIO verdict PASS" not in out:
        return {"ok": False, "rc": p.returncode, "tail": out[-2000:]}
    kill = float(re.search(r"SCENARIO victim rank=\d+ kill_unix=([\d.]+)", out).group(1))
    det = [float(m) for m in re.findall(r"SCENARIO detect rank=\d+ failed=%d how=\w+ unix=([\d.]+)" % victim, out)]
    shrink = [float(m) for m in re.findall(r"shrink_ms=([\d.]+)", out)]
    comm = [float(m) for m in re.findall(r"comm_ms=([\d.]+)", out)]
    barrier = float(re.search(r"mpi_barrier_us=([\d.]+)", out).group(1))
    msgs = {int(r): int(s) for r, s in re.findall(r"SCENARIO msgs rank=(\d+) sent=(\d+)", out)}
    hows = re.findall(r"SCENARIO detect rank=\d+ failed=%d how=(\w+)" % victim, out)
    return {"ok": True, "detect_first_ms": (min(det) - kill) * 1e3, "detect_all_ms": (max(det) - kill) * 1e3,
            "shrink_ms": statistics.median(shrink), "comm_ms": statistics.median(comm),
            "barrier_us": barrier, "msgs_rank_median": statistics.median(msgs.values()),
            "msgs_rank_max": max(msgs.values()), "msgs_coordinator": msgs.get(0, 0),
            "detected_by": {h: hows.count(h) for h in set(hows)}}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("PFS_BIN_DIR", "build/default/bin"))
    ap.add_argument("--sizes", default="4,8,16,32")
    ap.add_argument("--modes", default="pmix,heartbeat")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--kill-at-ms", type=int, default=800)
    ap.add_argument("--timeout", type=int, default=90)
    ap.add_argument("--out", default="ft_bench.json")
    a = ap.parse_args()
    results = []
    for mode in a.modes.split(","):
        for n in [int(x) for x in a.sizes.split(",")]:
            runs = [run_one(a.bin, n, mode, a.kill_at_ms, a.timeout) for _ in range(a.reps)]
            good = [r for r in runs if r["ok"]]
            row = {"mode": mode, "ranks": n, "runs": len(runs), "ok_runs": len(good)}
            for k in ["detect_first_ms", "detect_all_ms", "shrink_ms", "comm_ms", "barrier_us",
                      "msgs_rank_median", "msgs_rank_max", "msgs_coordinator"]:
                row[k] = statistics.median(r[k] for r in good) if good else None
            if good:
                row["agree_shrink_vs_barrier"] = row["shrink_ms"] * 1e3 / row["barrier_us"] if row["barrier_us"] else None
            row["failures"] = [r for r in runs if not r["ok"]]
            results.append(row)
            print(f"  {mode:9s} n={n:3d} ok={len(good)}/{len(runs)}", file=sys.stderr, flush=True)
    doc = {"benchmark": "ft", "host": os.uname().nodename, "cores": os.cpu_count(),
           "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "kill_at_ms": a.kill_at_ms, "results": results}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    f = lambda v, p=2: "-" if v is None else f"{v:.{p}f}"
    print(f"{'mode':9s} {'ranks':>5s} {'ok':>5s} {'detect1 ms':>10s} {'detectAll':>10s} {'shrink ms':>9s} "
          f"{'comm ms':>8s} {'barrier us':>10s} {'shrink/barrier':>14s} {'msgs/rank':>9s} {'max':>6s} {'coord':>6s}")
    for r in results:
        print(f"{r['mode']:9s} {r['ranks']:5d} {r['ok_runs']:>2d}/{r['runs']:<2d} {f(r['detect_first_ms']):>10s} "
              f"{f(r['detect_all_ms']):>10s} {f(r['shrink_ms']):>9s} {f(r['comm_ms']):>8s} {f(r['barrier_us']):>10s} "
              f"{f(r.get('agree_shrink_vs_barrier'), 1):>14s} {f(r['msgs_rank_median'], 0):>9s} "
              f"{f(r['msgs_rank_max'], 0):>6s} {f(r['msgs_coordinator'], 0):>6s}")
    return 0 if all(r["ok_runs"] == r["runs"] for r in results) else 1

if __name__ == "__main__":
    sys.exit(main())
