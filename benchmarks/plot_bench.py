#!/usr/bin/env python3
"""Plots pfs-bench/1 documents (benchmarks/schema) with gnuplot into PNG files.

usage: plot_bench.py [--out-dir DIR] [--prefix P] FILE.json [FILE.json...]

Every plot a document has data for is drawn (one PNG each; the paths are printed):
  <prefix>bandwidth.png   "timeseries" (pfs-ior --fail/--hsm): MiB/s per slice over time, the
                          write/read/HSM phases shaded, vertical lines at the kill, its
                          detection, the recovery and when the stalled I/O resumed
  <prefix>latency_cdf.png every "latency_cdf" series of all documents (recalls vs other reads,
                          DMAPI sync events vs MPI ping-pong), log x
  <prefix>failover.png    "failover" rows (bench_convert.py failover): failover time against the
                          events outstanding (a line per job size) and against the ranks (a
                          line per event count)
Exit status 0, 1 when gnuplot failed or a file has nothing to plot, 2 on bad usage.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile

PHASE_COLORS = {"write": "#dbe9f6", "read": "#e3f2df", "hsm": "#f8e5c8"}
MARK_STYLE = {  # gnuplot colour, label
    "kill": ("#d62728", "kill"),
    "detected": ("#ff7f0e", "detected"),
    "recovered": ("#2ca02c", "recovered"),
    "io_resumed": ("#1f77b4", "I/O resumed"),
}


def terminal():
    out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    return "pngcairo size 1000,560 font 'sans,10'" if "pngcairo" in text else "png size 1000,560"


def run_gnuplot(script, png):
    r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or not os.path.exists(png) or os.path.getsize(png) == 0:
        sys.stderr.write("plot_bench: gnuplot failed for %s:\n%s" % (png, r.stderr))
        return False
    print(png)
    return True


def q(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def plot_bandwidth(doc, png, tmp):
    ts = doc["timeseries"]
    data = os.path.join(tmp, "bw.dat")
    with open(data, "w") as f:
        for t, bw in zip(ts["t_s"], ts["mib_s"]):
            f.write("%.4f %.3f\n" % (t, bw))
    tmax = max([ts["t_s"][-1] + ts["slice_s"] if ts["t_s"] else 1] + [p["end_s"] for p in ts["phases"]])
    lines = ["set terminal " + terminal(), "set output " + q(png),
             "set title " + q(title_of(doc, "bandwidth over time (%g ms slices)" % (ts["slice_s"] * 1000))),
             "set xlabel 'seconds since the first phase began'", "set ylabel 'MiB/s (all tasks)'",
             "set xrange [0:%g]" % tmax, "set yrange [0:*]", "set key top right opaque", "set grid ytics"]
    for i, p in enumerate(ts["phases"], start=1):
        kind = "hsm" if p["access"].startswith("hsm") else p["access"]
        lines.append("set object %d rect from %g, graph 0 to %g, graph 1 back fc rgb %s fs solid 1.0 noborder"
                     % (i, p["begin_s"], p["end_s"], q(PHASE_COLORS.get(kind, "#eeeeee"))))
        if p["end_s"] - p["begin_s"] > 0.04 * tmax:  # label the phases wide enough
            lines.append("set label %s at %g, graph 0.97 font ',8' textcolor rgb '#555555'"
                         % (q(p["access"]), p["begin_s"]))
    plots = ["%s using 1:2 with steps lw 2 lc rgb '#333333' title 'bandwidth'" % q(data)]
    for n, m in enumerate(ts["marks"]):
        color, label = MARK_STYLE.get(m["name"], ("#000000", m["name"]))
        lines.append("set arrow from %g, graph 0 to %g, graph 1 nohead lw 2 dt 2 lc rgb %s front"
                     % (m["t_s"], m["t_s"], q(color)))
        # a key entry per mark: an invisible point carrying the colour
        plots.append("NaN with lines lw 2 dt 2 lc rgb %s title %s" % (q(color), q("%s %.2f s" % (label, m["t_s"]))))
    f = doc.get("failure")
    if f and f.get("killed"):
        sec = lambda v: "n/a" if v is None else "%.3f s" % v
        lines.append("set label %s at graph 0.01, graph 0.04 font ',9' front" % q(
            "SIGKILL %s rank %s: detection %s, recovery %s, I/O stall %s, I/O errors %d (retried)" % (
                f.get("victim_role"), f.get("victim_rank"), sec(f["detection_s"]), sec(f["recovery_s"]),
                sec(f["io_stall_s"]), f["errors"])))
    lines.append("plot " + ", ".join(plots))
    return run_gnuplot("\n".join(lines) + "\n", png)


def title_of(doc, what):
    return "%s: %s" % (doc.get("benchmark", "?"), what)


def plot_cdf(docs, png, tmp):
    series = [(d, s) for d in docs for s in d.get("latency_cdf", []) if s["values"]]
    scale = {"s": 1e6, "ms": 1e3, "us": 1.0}
    plots = []
    for i, (d, s) in enumerate(series):
        data = os.path.join(tmp, "cdf%d.dat" % i)
        v = sorted(s["values"])
        with open(data, "w") as f:
            for k, x in enumerate(v, start=1):
                f.write("%.6f %.6f\n" % (max(x * scale[s["unit"]], 1e-3), k / len(v)))
        plots.append("%s using 1:2 with steps lw 2 title %s" % (q(data), q("%s: %s (n=%d)" % (
            d.get("benchmark"), s["name"], len(s["values"])))))
    lines = ["set terminal " + terminal(), "set output " + q(png), "set title 'latency CDF'",
             "set xlabel 'latency (us, log scale)'", "set ylabel 'fraction of operations'",
             "set logscale x", "set yrange [0:1.02]", "set key top left opaque", "set grid",
             "plot " + ", ".join(plots)]
    return run_gnuplot("\n".join(lines) + "\n", png)


def plot_failover(doc, png, tmp):
    rows = [r for r in doc["failover"] if r.get("failover_ms") is not None]
    ranks = sorted({r["ranks"] for r in rows})
    events = sorted({r["events"] for r in rows})
    lines = ["set terminal " + terminal(), "set output " + q(png), "set multiplot layout 1,2 title "
             + q(title_of(doc, "failover time after detection: standby takes the session, queue rebuilt")),
             "set grid", "set key top left", "set ylabel 'ms'"]
    def series(key, value, xkey, name):
        # One curve: the rows with rows[key] == value, by xkey.
        data = os.path.join(tmp, "fo_%s%d.dat" % (key[0], value))
        with open(data, "w") as f:
            for r in sorted((r for r in rows if r[key] == value), key=lambda r: r[xkey]):
                f.write("%d %.3f %.3f\n" % (r[xkey], r["failover_ms"], r["end_to_end_ms"]))
        return "%s using 1:2 with linespoints lw 2 title %s" % (q(data), q("%d %s" % (value, name)))
    p1 = [series("ranks", n, "events", "ranks") for n in ranks]
    p2 = [series("events", e, "ranks", "events") for e in events]
    lines += ["set xlabel 'synchronous events outstanding (log)'", "set logscale x",
              "plot " + ", ".join(p1), "unset logscale x", "set xlabel 'ranks in the job'",
              "set logscale x 2", "plot " + ", ".join(p2), "unset multiplot"]
    return run_gnuplot("\n".join(lines) + "\n", png)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out-dir", default=".")
    ap.add_argument("--prefix", default="")
    args = ap.parse_args()
    if shutil.which("gnuplot") is None:
        sys.stderr.write("plot_bench: gnuplot not found (apt-get install gnuplot-nox)\n")
        return 1
    docs = []
    for path in args.files:
        with open(path) as f:
            d = json.load(f)
        if d.get("schema") != "pfs-bench/1":
            sys.stderr.write("plot_bench: %s is not a pfs-bench/1 document\n" % path)
            return 2
        docs.append(d)
    os.makedirs(args.out_dir, exist_ok=True)
    out = lambda name: os.path.join(args.out_dir, args.prefix + name)
    ok, drawn = True, 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, d in enumerate(d for d in docs if d.get("timeseries")):
            ok &= plot_bandwidth(d, out("bandwidth%s.png" % ("" if i == 0 else "_%d" % i)), tmp)
            drawn += 1
        if any(d.get("latency_cdf") for d in docs):
            ok &= plot_cdf(docs, out("latency_cdf.png"), tmp)
            drawn += 1
        for i, d in enumerate(d for d in docs if d.get("failover")):
            ok &= plot_failover(d, out("failover%s.png" % ("" if i == 0 else "_%d" % i)), tmp)
            drawn += 1
    if drawn == 0:
        sys.stderr.write("plot_bench: nothing to plot (no timeseries, latency_cdf or failover)\n")
    return 0 if ok and drawn else 1


if __name__ == "__main__":
    sys.exit(main())
