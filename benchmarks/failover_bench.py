#!/usr/bin/env python3
"""DMAPI failover benchmark: session-rank SIGKILL -> first recovered event on the standby.

For each job size and number of outstanding synchronous events it runs real jobs through
pfs-run (plain layout, ranks oversubscribed on this machine) of dmapi-failover-bench: rank 1
holds the session with N synchronous events delivered and unanswered, rank 2 stands by, ranks
3.. are the sources; rank 1 SIGKILLs itself. Reported per configuration (medians over --reps):
  detect_ms          kill -> the session manager's detector marks the session rank failed
  failover_ms        detection -> first recovered event delivered on the standby
                     (detection excluded: failover + table replication + rebuild + delivery)
  end_to_end_ms      kill -> first recovered event delivered
  rebuild_ms         the standby's queue rebuild (failure-aware gather + re-queue)
  baseline_queue_ms  baseline, same run: queueing and delivering the same N events the first
                     time; rebuild/baseline is the recovery's cost in units of normal work
  lost, duplicates   summed over runs: must be 0
Writes JSON (--out; the same shape as ft_bench.py: {"benchmark", "machine", "results": [...]})
and prints a table.
"""
import argparse, json, os, platform, re, statistics, subprocess, tempfile

FIELDS = ["detect_ms", "failover_ms", "end_to_end_ms", "rebuild_ms", "gather_ms",
          "baseline_queue_ms"]

def run_one(bin_dir, ranks, events, timeout):
    with tempfile.TemporaryDirectory(prefix="pfs-fobench-") as work:
        cmd = [os.path.join(bin_dir, "pfs-run"), "--oversubscribe", "--timeout", str(timeout),
               "--root", work + "/root", "--run-dir", work + "/run", "--plain", str(ranks),
               "--", os.path.join(bin_dir, "dmapi-failover-bench"), "--events", str(events)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30)
    out = p.stdout + p.stderr
    m = re.search(r"^FAILOVER-BENCH (\{.*\})$", out, re.M)
    if p.returncode != 0 or not m:
        return {"ok": False, "rc": p.returncode, "tail": out[-2000:]}
    r = json.loads(m.group(1))
    r["lost"] = sum(json.loads(x)["lost"] for x in re.findall(r"^FAILOVER-SOURCE (\{.*\})$", out, re.M))
    r["ok"] = r["received"] == events and r["rebuilt_events"] == events
    return r

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("PFS_BIN_DIR", "build/default/bin"))
    ap.add_argument("--sizes", default="4,8,16,32")
    ap.add_argument("--events", default="10,100,1000,10000,100000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=240)
    ap.add_argument("--out", default="failover_bench.json")
    a = ap.parse_args()
    results = []
    print("%5s %7s %4s %9s %11s %11s %10s %11s %9s %5s %4s" % (
        "ranks", "events", "ok", "detect ms", "failover ms", "end2end ms", "rebuild ms",
        "baseline ms", "rb/base", "lost", "dup"))
    for n in [int(x) for x in a.sizes.split(",")]:
        for ev in [int(x) for x in a.events.split(",")]:
            runs = [run_one(a.bin, n, ev, a.timeout) for _ in range(a.reps)]
            good = [r for r in runs if r.get("ok")]
            row = {"ranks": n, "events": ev, "runs": len(runs), "ok_runs": len(good),
                   "lost": sum(r.get("lost", 0) for r in good),
                   "duplicates": sum(r.get("duplicates", 0) for r in good)}
            for k in FIELDS:
                row[k] = statistics.median(r[k] for r in good) if good else None
            if good and row["baseline_queue_ms"]:
                row["rebuild_over_baseline"] = row["rebuild_ms"] / row["baseline_queue_ms"]
            bad = [r for r in runs if not r.get("ok")]
            if bad:
                row["first_failure"] = bad[0].get("tail", "")[-600:]
            results.append(row)
            f = lambda k, fmt="%.2f": (fmt % row[k]) if row.get(k) is not None else "-"
            print("%5d %7d %4s %9s %11s %11s %10s %11s %9s %5d %4d" % (
                n, ev, "%d/%d" % (len(good), len(runs)), f("detect_ms"), f("failover_ms"),
                f("end_to_end_ms"), f("rebuild_ms"), f("baseline_queue_ms"),
                f("rebuild_over_baseline", "%.3f"), row["lost"], row["duplicates"]), flush=True)
    doc = {"benchmark": "dmapi_failover", "machine": {"host": platform.node(), "cpus": os.cpu_count()},
           "results": results}
    with open(a.out, "w") as fh:
        json.dump(doc, fh, indent=1)

if __name__ == "__main__":
    main()
