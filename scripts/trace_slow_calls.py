#!/usr/bin/env python3
"""Follow the slowest request/response calls of a job traced with PFS_TRACE_DIR.

Each rank's engine wrote <dir>/rpc.<rank>.log, one line per message event:
    <monotonic us> <kind> <channel> <peer> <type> <flags> <id> <epoch> <bytes>
kind: S posted by the sender, C its send completed, P matched by MPI_Improbe (type = the tag,
id unknown), R delivered to the handler. flags: 1 request, 2 response.

For each call (a request S with its response R back at the caller) this prints the slowest ones
and, for each, where its time went: request in MPI (S -> server P), server handling (server
R -> response S), response in MPI (response S -> caller P), hand-off (caller R).

usage: scripts/trace_slow_calls.py DIR [--top N] [--min-ms MS]
"""
import argparse
import collections
import glob
import os
import re
import sys


def load(directory):
    events = collections.defaultdict(list)  # rank -> [(t, kind, ch, peer, type, flags, id, bytes)]
    for path in glob.glob(os.path.join(directory, "rpc.*.log")):
        rank = int(re.search(r"rpc\.(\d+)\.log$", path).group(1))
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) != 9:
                    continue
                t, kind, ch, peer, typ, flags, ident, _epoch, nbytes = p
                events[rank].append((int(t), kind, int(ch), int(peer), int(typ), int(flags),
                                     int(ident), int(nbytes)))
    for ev in events.values():
        ev.sort()
    return events


def first(seq, pred, start=None):
    for e in seq:
        if (start is None or e[0] >= start) and pred(e):
            return e
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--min-ms", type=float, default=0.0)
    a = ap.parse_args()
    ev = load(a.dir)
    if not ev:
        sys.exit(f"trace_slow_calls: no rpc.*.log in {a.dir}")
    # (caller, id) -> request S and response R at the caller
    calls = {}
    for rank, seq in ev.items():
        for e in seq:
            t, kind, _ch, peer, typ, flags, ident, _n = e
            if kind == "S" and flags & 1:
                calls[(rank, ident)] = {"caller": rank, "server": peer, "type": typ, "S": t,
                                         "id": ident}
            elif kind == "R" and flags & 2 and (rank, ident) in calls:
                calls[(rank, ident)]["R"] = t
    done = [c for c in calls.values() if "R" in c]
    lost = [c for c in calls.values() if "R" not in c]
    done.sort(key=lambda c: c["R"] - c["S"], reverse=True)
    lat = sorted((c["R"] - c["S"]) / 1000 for c in done)
    if lat:
        print(f"{len(done)} calls answered, {len(lost)} without a response in the trace; "
              f"latency ms p50 {lat[len(lat) // 2]:.3f} p99 {lat[int(len(lat) * 0.99)]:.3f} "
              f"max {lat[-1]:.3f}")
    for c in done[: a.top]:
        ms = (c["R"] - c["S"]) / 1000
        if ms < a.min_ms:
            break
        caller, server, ident = c["caller"], c["server"], c["id"]
        sev = ev.get(server, [])
        cev = ev[caller]
        req_p = first(sev, lambda e: e[1] == "P" and e[3] == caller and e[4] == c["type"],
                      c["S"])
        req_r = first(sev, lambda e: e[1] == "R" and e[3] == caller and e[6] == ident
                      and e[5] & 1)
        rsp_s = first(sev, lambda e: e[1] == "S" and e[3] == caller and e[6] == ident
                      and e[5] & 2)
        rsp_c = first(sev, lambda e: e[1] == "C" and e[3] == caller and e[6] == ident
                      and e[5] & 2)
        rsp_p = first(cev, lambda e: e[1] == "P" and e[3] == server and e[4] == c["type"],
                      rsp_s[0] if rsp_s else c["S"])
        req_c = first(cev, lambda e: e[1] == "C" and e[3] == server and e[6] == ident
                      and e[5] & 1)

        def rel(e):
            return "-" if e is None else f"{(e[0] - c['S']) / 1000:.3f}"

        print(f"call {caller}->{server} type {c['type']} id {ident}: {ms:.3f} ms | "
              f"req sent-complete {rel(req_c)} server-probe {rel(req_p)} server-deliver "
              f"{rel(req_r)} resp-posted {rel(rsp_s)} resp-complete {rel(rsp_c)} "
              f"caller-probe {rel(rsp_p)} caller-deliver {ms:.3f}")
    for c in lost[: a.top]:
        print(f"no response: {c['caller']}->{c['server']} type {c['type']} sent at {c['S']}")


if __name__ == "__main__":
    main()
