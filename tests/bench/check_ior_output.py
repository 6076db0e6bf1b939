#!/usr/bin/env python3
"""Checks pfs-ior's text output the way a CI parser would read IOR's.

usage: check_ior_output.py OUTPUT --apis NATIVE,POSIX,MPIIO [--ops write,read] [--ratios]
                                  [--md] [--csv]
Text mode: the "Summary of all tests:" header has IOR's 27 columns and every row below it has
27 fields with numbers where IOR has numbers, one row per API and operation; Results rows have
11 fields. --ratios: the ratio table names API/POSIX with a positive value. --md: the mdtest
SUMMARY tables of every API with 3 positive rates. --csv: IOR's CSV header and rows.
Exits 1 with the reason on the first mismatch.
"""
import argparse, sys

HEADER = ("Operation Max(MiB) Min(MiB) Mean(MiB) StdDev Max(OPs) Min(OPs) Mean(OPs) StdDev Mean(s) "
          "Stonewall(s) Stonewall(MiB) Test# #Tasks tPN reps fPP reord reordoff reordrand seed "
          "segcnt blksiz xsize aggs(MiB) API RefNum").split()

def die(msg):
    print("check_ior_output: " + msg, file=sys.stderr)
    sys.exit(1)

def num(tok, what):
    try:
        return float(tok)
    except ValueError:
        die(f"{what}: '{tok}' is not a number")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("output")
    ap.add_argument("--apis", required=True)
    ap.add_argument("--ops", default="write,read")
    ap.add_argument("--ratios", action="store_true")
    ap.add_argument("--md", action="store_true")
    ap.add_argument("--csv", action="store_true")
    a = ap.parse_args()
    apis, ops = a.apis.split(","), a.ops.split(",")
    lines = open(a.output).read().splitlines()
    if a.csv:
        hdr = "access,bw(MiB/s),IOPS,Latency,block(KiB),xfer(KiB),open(s),wr/rd(s),close(s),total(s),numTasks,iter,API,Test#"
        if hdr not in lines:
            die("no CSV header")
        rows = [l.split(",") for l in lines[lines.index(hdr) + 1:] if l.count(",") == 13]
        seen = {(r[12], r[0]) for r in rows}
        for api in apis:
            for op in ops:
                if (api, op) not in seen:
                    die(f"no CSV row for {api} {op}")
        for r in rows:
            if num(r[1], "CSV bw") <= 0:
                die(f"CSV row without bandwidth: {r}")
        print(f"check_ior_output: CSV ok, {len(rows)} rows")
        return
    if a.md:
        for api in apis:
            hits = [i for i, l in enumerate(lines) if l.startswith("mdtest-style test") and f"API {api} " in l]
            if not hits:
                die(f"no mdtest table for {api}")
            body = lines[hits[0]:hits[0] + 10]
            for op in ("File creation", "File stat", "File removal"):
                row = [l for l in body if l.strip().startswith(op)]
                if not row:
                    die(f"{api}: no '{op}' row")
                vals = [num(t, f"{api} {op}") for t in row[0].split()[2:]]
                if len(vals) != 4 or vals[2] <= 0:
                    die(f"{api}: bad '{op}' row: {row[0]}")
        print("check_ior_output: mdtest tables ok")
    else:
        try:
            i = lines.index("Summary of all tests:")
        except ValueError:
            die("no 'Summary of all tests:' line")
        if lines[i + 1].split() != HEADER:
            die("summary header differs from IOR's: " + lines[i + 1])
        rows = []
        for l in lines[i + 2:]:
            f = l.split()
            if not f or f[0] not in ("write", "read"):
                break
            if len(f) != len(HEADER):
                die(f"summary row has {len(f)} fields, not {len(HEADER)}: {l}")
            for k, name in enumerate(HEADER):
                if name in ("Operation", "API") or (name.startswith("Stonewall") and f[k] == "NA"):
                    continue
                num(f[k], name)
            rows.append(dict(zip(HEADER, f)))
        for api in apis:
            for op in ops:
                r = [x for x in rows if x["API"] == api and x["Operation"] == op]
                if len(r) != 1:
                    die(f"expected one summary row for {api} {op}, found {len(r)}")
                if float(r[0]["Mean(MiB)"]) <= 0:
                    die(f"{api} {op}: mean bandwidth not positive")
        results = [l.split() for l in lines if l.split()[:1] in (["write"], ["read"]) and len(l.split()) == 11]
        if len(results) < len(apis) * len(ops):
            die(f"only {len(results)} Results rows of 11 fields")
        print(f"check_ior_output: summary ok, {len(rows)} rows, {len(results)} results rows")
    if a.ratios:
        try:
            i = next(k for k, l in enumerate(lines) if l.startswith("Ratios to the POSIX baseline"))
        except StopIteration:
            die("no ratio table")
        got = []
        for l in lines[i + 2:]:
            f = l.split()
            if len(f) != 6 or "/" not in f[2]:
                break
            got.append(f)
        if not got:
            die("ratio table is empty")
        for f in got:
            if num(f[-1], "ratio") <= 0:
                die(f"ratio not positive: {f}")
        print(f"check_ior_output: {len(got)} ratios ok")

if __name__ == "__main__":
    main()
