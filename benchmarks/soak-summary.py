#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""soak-summary.py - the table of benchmarks/soak.sh and multinode.sh.

Usage: soak-summary.py RESULTS.tsv OUTDIR

RESULTS.tsv has one sample a line: SECTION METRIC CASE REP VALUE UNIT,
VALUE "fail" when that sample failed.  Prints, per section and metric,
each case's median and min-max over its samples (repetitions, or the
agents of the density run), and for the metrics compared with a
reference case (the noisy neighbour's "quiet") the ratio to it; writes
OUTDIR/results.json.
"""
import json
import statistics
import sys

# metric -> the case every other case of it is compared with
REFERENCE = {"connect-p50": "quiet", "connect-p99": "quiet",
             # benchmarks/multinode.sh: node to node is the limit; etcd
             # up is what etcd away is compared with
             "bulk": "node", "crr": "node",
             "trapped-call": "etcd-up", "switched-connect-p50": "etcd-up"}

TITLES = {
    "soak": "soak: start/stop cycles through one nsbypass oci",
    "density": "density: containers running at once",
    "noisy": "noisy neighbour: connect latency, flood of trapped calls next door",
    "restart": "agent restart: SIGKILL to the next switched connect",
    "multinode": "node 1 -> node 2: host to host, nsbypass's cluster map, a VXLAN overlay",
    "etcd-away": "a container of node 1 with etcd up, then killed",
}


def num(v):
    """A sample as the table shows it."""
    if v is None:
        return "fail"
    return "%.0f" % v if abs(v) >= 1000 or v == int(v) else "%.2f" % v


def main(tsv, outdir):
    order = []
    samples = {}
    units = {}
    for line in open(tsv):
        f = line.split()
        if len(f) != 6:
            continue
        key = tuple(f[:3])
        if key not in samples:
            order.append(key)
            samples[key] = []
        units[key] = f[5]
        if f[4] != "fail":
            samples[key].append(float(f[4]))
        else:
            samples[key].append(None)
    rows = []
    for key in order:
        good = [v for v in samples[key] if v is not None]
        rows.append({
            "section": key[0], "metric": key[1], "case": key[2],
            "unit": units[key], "samples": samples[key],
            "failed": len(samples[key]) - len(good),
            "median": statistics.median(good) if good else None,
            "min": min(good) if good else None,
            "max": max(good) if good else None,
        })
    med = {(r["section"], r["metric"], r["case"]): r["median"] for r in rows}
    for r in rows:
        ref = REFERENCE.get(r["metric"])
        b = med.get((r["section"], r["metric"], ref))
        r["vs_" + ref if ref else "ratio"] = (
            r["median"] / b if ref and b and r["median"] is not None
            else None)
        if not ref:
            del r["ratio"]
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            print(TITLES.get(section, section))
            print("  %-28s %-12s %10s  %-21s %4s  %s" %
                  ("metric", "case", "median", "min-max", "n", "ratio"))
        ref = REFERENCE.get(r["metric"])
        ratio = r.get("vs_" + ref) if ref else None
        print("  %-28s %-12s %10s  %-21s %4d  %s" % (
            "%s (%s)" % (r["metric"], r["unit"]), r["case"],
            num(r["median"]), num(r["min"]) + "-" + num(r["max"]),
            len(r["samples"]),
            "%.2fx %s" % (ratio, ref) if ratio is not None else ""))
        if r["failed"]:
            print("  %s %s: %d of %d samples failed" % (
                r["metric"], r["case"], r["failed"], len(r["samples"])))
    json.dump({"results": rows}, open(outdir + "/results.json", "w"),
              indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
