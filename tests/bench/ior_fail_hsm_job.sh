#!/usr/bin/env bash
# pfs-ior --fail and --hsm in real PFS jobs (real SIGKILL, real pfs-hsm on dm ranks):
#   1. --fail data:read+0.05: a data rank is SIGKILLed 0.05 s into the first read phase; the job
#      survives (volume adoption), -W and -R verify every byte, the report has the failure
#      (kill, detection, recovery) and the bandwidth time series, the JSON validates,
#      plot_bench.py draws the PNG;
#   2. --hsm release-after-write --fail session:2: pfs-hsm migrates the files after each write
#      phase, the read phases wait for the recalls, and the dm rank holding the HSM's session is
#      SIGKILLed 2 s in (-d 1: the three 1 s pauses between rounds keep the run longer than
#      2 s however fast the I/O is): a standby takes the session over, the data verifies, recalls are
#      counted with latencies, the PNG is drawn;
#   3. the event and failover benchmarks converted to pfs-bench/1 (bench_convert.py) validate
#      and plot_bench.py draws the bandwidth, latency CDF and failover PNGs from the three;
#   4. bad --fail/--hsm options exit 2 and run nothing.
# No timing is asserted. The kills are SIGKILLs, found by the process table at once; a 3 s
# heartbeat timeout keeps a loaded 2-core machine from declaring a slow live rank dead.
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
WATCHDOG=200
PLOT="python3 $PFS_SOURCE_DIR/benchmarks/plot_bench.py"

# check_fail_json <file> <role> <victim role>: the failure section says the kill happened and
# was detected and recovered from, verification found nothing, the time series has data.
check_fail_json() {
    python3 - "$@" << 'PY' || fail "$1: content"
import json, sys
path, role, victim_role = sys.argv[1:4]
d = json.load(open(path))
assert d["ok"], d["errors"]
f = d["failure"]
assert f["role"] == role and f["killed"] and f["victim_role"] == victim_role, f
assert f["detected_s"] is not None and f["recovered_s"] is not None, f
assert f["detected_s"] >= f["kill_s"] and f["recovered_s"] >= f["kill_s"], f
for t in d["tests"]:
    for r in t["results"]:
        assert r["verify_errors"] == 0, r
ts = d["timeseries"]
assert len(ts["t_s"]) == len(ts["mib_s"]) > 0 and sum(ts["mib_s"]) > 0, ts
assert {m["name"] for m in ts["marks"]} >= {"kill", "detected", "recovered"}, ts["marks"]
assert [p["access"] for p in ts["phases"]][:2] == ["write", "read"] or "hsm" in d, ts["phases"]
PY
}

# check_png <json> <what>: plot_bench.py draws the bandwidth PNG (when gnuplot is installed).
check_png() {
    if ! command -v gnuplot > /dev/null; then
        echo "SKIP: no gnuplot, $2 PNG not drawn"
        return
    fi
    rm -rf "$WORK/plots"
    $PLOT --out-dir "$WORK/plots" "$1" >> "$OUT" 2>&1 || fail "$2: plot_bench.py failed"
    [[ -s $WORK/plots/bandwidth.png ]] || fail "$2: no bandwidth.png"
}

# 1. a data rank dies
mkfs --meta 1 --data 3
run_job --meta 1 --data 3 --compute 2 -x PFS_FT_HEARTBEAT_TIMEOUT_MS=3000 -- "$IOR" -a NATIVE -F -W -R -b 8m -t 1m -i 6 -d 0.5 \
    -o /ior/f --fail data:read+0.05 -O summaryFile="$WORK/data.json"
expect_rc 0 "--fail data:read+0.05"
check_output "--fail data output" "$OUT" --apis NATIVE
expect_out "^Failure injected    : SIGKILL rank 3 \(data, pid [0-9]+\)" "--fail data report"
expect_out "^  recovered         : " "--fail data recovery line"
$VALIDATE "$WORK/data.json" >> "$OUT" 2>&1 || fail "--fail data JSON does not validate"
check_fail_json "$WORK/data.json" data data
check_png "$WORK/data.json" "--fail data"
echo "PASS: --fail data:read+0.05: killed, detected, adopted, data verified, JSON, PNG (${ELAPSED}s)"

# 2. the HSM's session rank dies while the HSM migrates and recalls
mkfs --meta 1 --data 2 --force
run_job --meta 1 --data 2 --dm 2 --dm-app "$BIN/pfs-hsm" --compute 2 -x PFS_FT_HEARTBEAT_TIMEOUT_MS=3000 \
    -- "$IOR" -a NATIVE -F -W \
    -R -b 8m -t 1m -i 4 -d 1 -o /ior/h --hsm release-after-write --fail session:2 \
    -O summaryFile="$WORK/hsm.json"
expect_rc 0 "--hsm release-after-write --fail session:2"
check_output "--hsm output" "$OUT" --apis NATIVE
expect_out "^HSM                 : release-after-write" "--hsm report"
$VALIDATE "$WORK/hsm.json" >> "$OUT" 2>&1 || fail "--hsm JSON does not validate"
check_fail_json "$WORK/hsm.json" session dm
python3 - "$WORK/hsm.json" << 'PY' || fail "--hsm JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
h, f = d["hsm"], d["failure"]
assert len(h["rounds"]) == 4 and all(r["rc"] == 0 and r["files"] == 2 for r in h["rounds"]), h
assert h["recalls"] == 2 * 4 and h["recall_latency_s"]["count"] == 8, h
assert f["new_session_owner"] >= 0 and f["new_session_owner"] != f["victim_rank"], f
assert any(p["access"] == "hsm-migrate" for p in d["timeseries"]["phases"])
assert [c["name"] for c in d["latency_cdf"]][0].startswith("first read"), d["latency_cdf"]
PY
check_png "$WORK/hsm.json" "--hsm --fail session"
echo "PASS: --hsm release-after-write --fail session:2: failover, recalls, data verified (${ELAPSED}s)"

# 3. one format for the three benchmarks: the event benchmark's round trips and the failover
#    benchmark's rows converted to pfs-bench/1, validated, plotted beside pfs-ior's document
run_job --plain 2 -- "$BIN/dmapi-event-bench" --iters 200 --warmup 20 --async 2000 \
    --json "$WORK/ev.json" --samples "$WORK/ev_samples.json"
expect_rc 0 "dmapi-event-bench --samples"
python3 "$PFS_SOURCE_DIR/benchmarks/bench_convert.py" event --json "$WORK/ev.json" \
    --samples "$WORK/ev_samples.json" --out "$WORK/ev_bench.json" >> "$OUT" 2>&1 ||
    fail "bench_convert.py event"
python3 "$PFS_SOURCE_DIR/benchmarks/bench_convert.py" failover \
    --json "$PFS_SOURCE_DIR/benchmarks/results/failover_bench.json" --out "$WORK/fo_bench.json" \
    >> "$OUT" 2>&1 || fail "bench_convert.py failover"
$VALIDATE "$WORK/ev_bench.json" "$WORK/fo_bench.json" >> "$OUT" 2>&1 ||
    fail "converted documents do not validate"
python3 - "$WORK/ev_bench.json" << 'PY' || fail "event document content"
import json, sys
d = json.load(open(sys.argv[1]))
names = [c["name"] for c in d["latency_cdf"]]
assert names == ["sync user event RTT", "MPI ping-pong RTT (baseline)"], names
assert all(len(c["values"]) == 200 for c in d["latency_cdf"]), [len(c["values"]) for c in d["latency_cdf"]]
assert {r["name"] for r in d["ratios"]} == {"sync event RTT p50", "sync event RTT p99"}, d["ratios"]
PY
if command -v gnuplot > /dev/null; then
    rm -rf "$WORK/plots"
    $PLOT --out-dir "$WORK/plots" "$WORK/hsm.json" "$WORK/ev_bench.json" "$WORK/fo_bench.json" \
        >> "$OUT" 2>&1 || fail "plot_bench.py on the three documents"
    for png in bandwidth latency_cdf failover; do
        [[ -s $WORK/plots/$png.png ]] || fail "no $png.png"
    done
fi
echo "PASS: event and failover benchmarks in pfs-bench/1, three plots"

# 4. bad options
for args in "--fail disk:1" "--fail data" "--fail data:-1" "--fail data:read+x" "--hsm sometimes" \
    "-a POSIX --hsm release-after-write" "--mdtest --fail data:1"; do
    # shellcheck disable=SC2086  # word splitting wanted
    run_job --meta 1 --data 2 --compute 1 -- "$IOR" -a NATIVE $args -o /ior/bad
    expect_rc 2 "pfs-ior $args"
    expect_out "^pfs-ior: error: " "pfs-ior $args"
done
run_job --plain 1 -- "$IOR" -a POSIX --fail data:1 -o "$WORK/plainfile"
expect_rc 2 "--fail in a plain job"
run_job --meta 1 --data 2 --compute 1 -- "$IOR" -a NATIVE --hsm archive-after-write -o /ior/x
expect_rc 2 "--hsm without dm ranks"
echo "PASS: bad --fail/--hsm options exit 2"
echo "PASS"
