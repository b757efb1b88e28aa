#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""summary.py - turn benchmark samples into the speedup table.

Usage: summary.py RESULTS.tsv OUTDIR

RESULTS.tsv has one sample a line: WORKLOAD PATH REP VALUE UNIT, VALUE
"fail" when the run failed.  Prints, per workload, each path's median and
min-max over its repetitions and its ratio to the host path and to
slirp4netns, then PASS/MISS lines for the targets; writes OUTDIR/
results.csv and OUTDIR/results.json.
"""
import csv
import json
import statistics
import sys

# Targets: (workload, path, versus, minimum ratio, description).
TARGETS = [
    ("bulk-tcp", "nsbypass", "host", 0.95, "bulk TCP through bypass >= 0.95x host"),
    ("bulk-tcp", "nsbypass", "slirp4netns", 5.0,
     "bulk TCP through bypass >= 5x slirp4netns (MTU 65520)"),
    ("bulk-tcp", "nsbypass", "slirp4netns-1500", 20.0,
     "bulk TCP through bypass >= 20x slirp4netns (MTU 1500)"),
]


def load(path):
    data, units, order = {}, {}, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 5:
                continue
            w, p, _rep, v, unit = parts
            key = (w, p)
            if key not in data:
                data[key] = []
                order.append(key)
            units[w] = unit
            if v != "fail":
                data[key].append(float(v))
    return data, units, order


def main():
    tsv, outdir = sys.argv[1], sys.argv[2]
    data, units, order = load(tsv)
    rows = []
    med = {}
    for (w, p) in order:
        vals = data[(w, p)]
        m = statistics.median(vals) if vals else None
        med[(w, p)] = m
        rows.append({"workload": w, "path": p, "unit": units[w],
                     "samples": vals, "median": m,
                     "min": min(vals) if vals else None,
                     "max": max(vals) if vals else None})
    for r in rows:
        for base in ("host", "slirp4netns"):
            b = med.get((r["workload"], base))
            r["vs_" + base] = (r["median"] / b
                               if r["median"] is not None and b else None)

    cur = None
    for r in rows:
        if r["workload"] != cur:
            cur = r["workload"]
            print("\n%s (%s, median of %d, min-max)" % (
                cur, r["unit"], max(len(x["samples"]) for x in rows
                                    if x["workload"] == cur)))
            print("  %-18s %8s  %-15s %10s %14s" % (
                "path", "median", "min-max", "vs host", "vs slirp4netns"))
        if r["median"] is None:
            print("  %-18s %8s" % (r["path"], "failed"))
            continue
        ratio = lambda k: "%.2fx" % r[k] if r[k] is not None else "-"
        print("  %-18s %8.2f  %-15s %10s %14s" % (
            r["path"], r["median"], "%.2f-%.2f" % (r["min"], r["max"]),
            ratio("vs_host"), ratio("vs_slirp4netns")))

    print()
    for w, p, base, want, desc in TARGETS:
        a, b = med.get((w, p)), med.get((w, base))
        if a is None or not b:
            print("MISS %s: not measured" % desc)
            continue
        print("%s %s: %.2fx" % ("PASS" if a / b >= want else "MISS", desc, a / b))

    with open(outdir + "/results.json", "w") as f:
        json.dump(rows, f, indent=2)
    with open(outdir + "/results.csv", "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["workload", "path", "unit", "median", "min", "max",
                     "vs_host", "vs_slirp4netns", "samples"])
        for r in rows:
            wr.writerow([r["workload"], r["path"], r["unit"], r["median"],
                         r["min"], r["max"], r["vs_host"], r["vs_slirp4netns"],
                         " ".join("%g" % v for v in r["samples"])])


if __name__ == "__main__":
    main()
