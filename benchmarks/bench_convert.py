#!/usr/bin/env python3
"""Converts the DMAPI benchmarks' own JSON into pfs-bench/1 (benchmarks/schema), the format of
pfs-ior, so one validator and one plotting script (plot_bench.py) handle all three.

usage:
  bench_convert.py event --json E.json [--samples S.json] --out OUT.json
      dmapi-event-bench --json E.json [--samples S.json]: sync round-trip percentiles beside the
      MPI ping-pong baseline (ratios), async throughput, and with --samples the raw round trips
      as "latency_cdf" series
  bench_convert.py failover --json F.json --out OUT.json
      failover_bench.py's document (benchmarks/results/failover_bench.json): "failover" rows
      (ranks, events outstanding, detection, failover, end-to-end, queue rebuild) and the
      rebuild / baseline-queue ratios
"""
import argparse, datetime, json, os, platform, sys

MAX_CDF_POINTS = 1000


def envelope(benchmark, source, command_line):
    began = datetime.datetime.fromtimestamp(os.path.getmtime(source), datetime.timezone.utc)
    return {
        "schema": "pfs-bench/1",
        "benchmark": benchmark,
        "version": "0.1.0",
        "command_line": command_line,
        "began": began.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": platform.node(),
        "cores": os.cpu_count() or 1,
        "ok": True,
        "errors": [],
        "ratios": [],
    }


def ratio(name, unit, ml, bl, m, b):
    return {"name": name, "unit": unit, "measured_label": ml, "baseline_label": bl,
            "measured": m, "baseline": b, "ratio": m / b if b > 0 else 0}


def thin(values):
    v = sorted(values)
    if len(v) <= MAX_CDF_POINTS:
        return v
    n = MAX_CDF_POINTS
    return [v[i * (len(v) - 1) // (n - 1)] for i in range(n)]


def event(args):
    with open(args.json) as f:
        e = json.load(f)
    doc = envelope("dmapi-event-bench", args.json, args.command_line or "dmapi-event-bench")
    doc["job"] = {"layout": "plain:%d" % e["ranks"], "tasks": e["ranks"]}
    doc["parameters"] = {"payload_bytes": e["payload_bytes"]}
    doc["events"] = {k: e[k] for k in ("mpi_pingpong_us", "sync_rtt_us", "async", "rss_kib") if k in e}
    s, m = e["sync_rtt_us"], e["mpi_pingpong_us"]
    for p in ("p50", "p99"):
        doc["ratios"].append(ratio("sync event RTT " + p, "us", "DMAPI sync event", "MPI ping-pong", s[p], m[p]))
    a = e.get("async", {})
    if a.get("lost", 0):
        doc["ok"] = False
        doc["errors"].append("%d asynchronous events lost" % a["lost"])
    if args.samples:
        with open(args.samples) as f:
            raw = json.load(f)
        doc["latency_cdf"] = [
            {"name": "sync user event RTT", "unit": "us", "values": thin(raw["sync_rtt_us"])},
            {"name": "MPI ping-pong RTT (baseline)", "unit": "us", "values": thin(raw["mpi_pingpong_us"])},
        ]
    return doc


def failover(args):
    with open(args.json) as f:
        fb = json.load(f)
    doc = envelope("dmapi-failover-bench", args.json, args.command_line or "benchmarks/failover_bench.py")
    rows = []
    for r in fb["results"]:
        rows.append({k: r.get(k) for k in ("ranks", "events", "runs", "ok_runs", "lost", "duplicates",
                                            "detect_ms", "failover_ms", "end_to_end_ms", "rebuild_ms",
                                            "baseline_queue_ms")})
        if r.get("lost") or r.get("duplicates") or r.get("ok_runs", 0) < r.get("runs", 0):
            doc["ok"] = False
            doc["errors"].append("ranks=%s events=%s: lost %s, duplicates %s, ok runs %s/%s" % (
                r["ranks"], r["events"], r.get("lost"), r.get("duplicates"), r.get("ok_runs"), r.get("runs")))
        if r.get("baseline_queue_ms"):
            doc["ratios"].append(ratio("queue rebuild ranks=%d events=%d" % (r["ranks"], r["events"]), "ms",
                                       "failover rebuild", "queueing the events", r["rebuild_ms"],
                                       r["baseline_queue_ms"]))
    doc["failover"] = rows
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["event", "failover"])
    ap.add_argument("--json", required=True)
    ap.add_argument("--samples")
    ap.add_argument("--command-line")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    doc = event(args) if args.kind == "event" else failover(args)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    print("%s: pfs-bench/1 (%s)" % (args.out, doc["benchmark"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
