#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""summary.py - turn benchmark samples into the speedup table.

Usage: summary.py RESULTS.tsv OUTDIR

RESULTS.tsv has one sample a line: METRIC PATH REP VALUE UNIT, VALUE
"fail" when that run failed.  Prints, per metric, each path's median and
min-max over its repetitions and its ratio to the host path and to
slirp4netns, then one PASS/MISS line per target; writes OUTDIR/results.csv
and OUTDIR/results.json.  Ratios are value / reference: for a metric
where lower is better (latency, loss, cost) that is marked in the header.
"""
import csv
import json
import statistics
import sys

LOWER_IS_BETTER = {"rr-p50", "rr-p99", "udp-1G-loss", "syscall-trapped",
                   "syscall-untrapped", "syscall-floor", "agent-cpu",
                   "agent-rss"}

# A do-nothing supervisor's round trip (bench-syscall floor), measured on
# the host path: what no agent can beat on this machine.
FLOOR = ("syscall-floor", "host")


def ratio_target(metric, path, ref, want, desc):
    """value(path) / value(ref) >= want"""
    def check(med):
        a, b = med.get((metric, path)), med.get((metric, ref))
        if a is None or not b:
            return None, "not measured"
        return a / b >= want, "%.2fx" % (a / b)
    return desc, check


def max_ratio_target(metric, path, ref, most, desc):
    """value(path) / value(ref) <= most (lower is better)"""
    def check(med):
        a, b = med.get((metric, path)), med.get((metric, ref))
        if a is None or not b:
            return None, "not measured"
        return a / b <= most, "%.2fx" % (a / b)
    return desc, check


def max_value_target(metric, path, most, unit, desc):
    def check(med):
        a = med.get((metric, path))
        if a is None:
            return None, "not measured"
        return a <= most, "%.2f %s" % (a, unit)
    return desc, check


def floor_ratio_target(most, desc):
    """trapped call through the agent / the floor <= most"""
    def check(med):
        a, b = med.get(("syscall-trapped", "nsbypass")), med.get(FLOOR)
        if a is None or not b:
            return None, "not measured"
        return a / b <= most, "%.2fx (%.2f / %.2f us)" % (a / b, a, b)
    return desc, check


def connect_cost(med):
    """(host, nsbypass) microseconds per connection in crr, or None"""
    h, n = med.get(("crr", "host")), med.get(("crr", "nsbypass"))
    if not h or not n:
        return None
    return 1e6 / h, 1e6 / n


def connect_cost_target(extra, desc):
    """a switched connect costs at most the floor + extra us more than
    a connect on the host"""
    def check(med):
        c, f = connect_cost(med), med.get(FLOOR)
        if c is None or f is None:
            return None, "not measured"
        d = c[1] - c[0]
        return d <= f + extra, "+%.1f us (%.1f vs %.1f us; floor %.2f)" % (
            d, c[1], c[0], f)
    return desc, check


TARGETS = [
    ratio_target("bulk-tcp", "nsbypass", "host", 0.95,
                 "bulk TCP through bypass >= 0.95x host"),
    ratio_target("bulk-tcp", "nsbypass", "slirp4netns", 5.0,
                 "bulk TCP through bypass >= 5x slirp4netns (MTU 65520)"),
    ratio_target("bulk-tcp", "nsbypass", "slirp4netns-1500", 20.0,
                 "bulk TCP through bypass >= 20x slirp4netns (MTU 1500)"),
    ratio_target("bulk-tcp-in", "nsbypass", "host", 0.95,
                 "bulk TCP host->container (published port) through bypass >= 0.95x host"),
    ratio_target("bulk-tcp-in", "nsbypass", "slirp4netns", 5.0,
                 "bulk TCP host->container through bypass >= 5x slirp4netns (MTU 65520)"),
    ratio_target("crr", "nsbypass", "host", 0.7,
                 "connection rate through bypass >= 0.7x host"),
    connect_cost_target(20.0,
                        "switched connect <= floor + 20 us over a host connect"),
    ratio_target("crr", "nsbypass", "slirp4netns", 2.0,
                 "connection rate through bypass >= 2x slirp4netns"),
    max_ratio_target("rr-p50", "nsbypass", "host", 1.10,
                     "latency p50 through bypass within 10% of host"),
    floor_ratio_target(1.3,
                       "trapped call (setsockopt) <= 1.3x the floor"),
    max_value_target("agent-cpu", "nsbypass", 2.0, "% of a core",
                     "agent CPU during bulk TCP < 2% of a core"),
    max_value_target("agent-rss", "nsbypass", 8.0, "MiB",
                     "agent peak RSS < 8 MiB"),
    ratio_target("c2c-bulk", "nsbypass", "host", 0.9,
                 "c2c bulk TCP container->container (registry) >= 0.9x host->host"),
    ratio_target("lan-bulk", "pasta-nsbypass", "host", 0.9,
                 "bulk TCP to a LAN peer on a subnet pasta mirrors, through bypass >= 0.9x host"),
    ratio_target("bulk-tcp", "nsbypass-slirp", "slirp4netns", 1.0,
                 "fallback (our libslirp path) >= 1.0x slirp4netns, bulk TCP"),
    ratio_target("bulk-tcp-in", "nsbypass-slirp", "slirp4netns", 1.0,
                 "fallback (our libslirp path) >= 1.0x slirp4netns, bulk TCP host->container"),
    ratio_target("crr", "nsbypass-slirp", "slirp4netns", 1.0,
                 "fallback (our libslirp path) >= 1.0x slirp4netns, connection rate"),
]


# An engine path with nsbypass, and the same engine without it.
ENGINE_BASE = {
    "podman-nsbypass": "podman-slirp4netns",
    "pasta-nsbypass": "pasta",
    "podman-pasta-nsbypass": "podman-pasta",
    "docker-nsbypass": "docker",
}


def load(path):
    data, units, order = {}, {}, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 5:
                continue
            metric, p, _rep, v, unit = parts
            key = (metric, p)
            if key not in data:
                data[key] = []
                order.append(key)
            units[metric] = unit
            if v != "fail":
                try:
                    data[key].append(float(v))
                except ValueError:
                    pass
    return data, units, order


def summarise(data, units, order):
    # One block per metric, paths in the order they ran.
    metrics = list(dict.fromkeys(m for m, _ in order))
    order = [(m, p) for m in metrics for (mm, p) in order if mm == m]
    rows, med = [], {}
    for (m, p) in order:
        vals = data[(m, p)]
        med[(m, p)] = statistics.median(vals) if vals else None
    for (m, p) in order:
        vals = data[(m, p)]
        r = {"metric": m, "path": p, "unit": units[m], "samples": vals,
             "median": med[(m, p)],
             "min": min(vals) if vals else None,
             "max": max(vals) if vals else None,
             "lower_is_better": m in LOWER_IS_BETTER}
        for base in ("host", "slirp4netns"):
            b = med.get((m, base))
            r["vs_" + base] = (r["median"] / b
                               if r["median"] is not None and b else None)
        # The speedup nsbypass brings to an engine: against the same
        # engine without it.
        b = med.get((m, ENGINE_BASE.get(p, "")))
        r["vs_engine"] = (r["median"] / b
                          if r["median"] is not None and b else None)
        rows.append(r)
    return rows, med


def print_table(rows):
    cur = None
    w = max([18] + [len(r["path"]) for r in rows])
    engines = any(r["path"] in ENGINE_BASE for r in rows)
    for r in rows:
        if r["metric"] != cur:
            cur = r["metric"]
            n = max(len(x["samples"]) for x in rows if x["metric"] == cur)
            print("\n%s (%s%s, median of %d)" % (
                cur, r["unit"], ", lower is better" if r["lower_is_better"]
                else "", n))
            print("  %-*s %10s  %-21s %9s %15s%s" % (
                w, "path", "median", "min-max", "vs host", "vs slirp4netns",
                "  vs engine alone" if engines else ""))
        if r["median"] is None:
            print("  %-*s %10s" % (w, r["path"], "failed"))
            continue

        def ratio(k):
            return "%.2fx" % r[k] if r[k] is not None else "-"
        print("  %-*s %10.2f  %-21s %9s %15s%s" % (
            w, r["path"], r["median"], "%.2f-%.2f" % (r["min"], r["max"]),
            ratio("vs_host"), ratio("vs_slirp4netns"),
            "  %16s" % ratio("vs_engine") if engines else ""))


def main():
    tsv, outdir = sys.argv[1], sys.argv[2]
    rows, med = summarise(*load(tsv))
    print_table(rows)
    t, f = med.get(("syscall-trapped", "nsbypass")), med.get(FLOOR)
    if t is not None and f:
        print("\ntrapped call: nsbypass %.2f us, floor %.2f us: %.2fx the "
              "floor" % (t, f, t / f))
    c = connect_cost(med)
    if c is not None:
        print("\ncrr (us per connection): host %.1f, nsbypass %.1f, "
              "difference %.1f" % (c[0], c[1], c[1] - c[0]))
    print()
    targets = []
    for desc, check in TARGETS:
        ok, text = check(med)
        # A target whose workload or path did not run is no miss.
        state = "n/a " if ok is None else "PASS" if ok else "MISS"
        print("%s %s: %s" % (state, desc, text))
        targets.append({"target": desc, "result": state, "value": text})
    with open(outdir + "/results.json", "w") as f:
        json.dump({"results": rows, "targets": targets}, f, indent=2)
    with open(outdir + "/results.csv", "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["metric", "path", "unit", "median", "min", "max",
                     "vs_host", "vs_slirp4netns", "vs_engine", "samples"])
        for r in rows:
            wr.writerow([r["metric"], r["path"], r["unit"], r["median"],
                         r["min"], r["max"], r["vs_host"],
                         r["vs_slirp4netns"], r["vs_engine"],
                         " ".join("%g" % v for v in r["samples"])])


if __name__ == "__main__":
    main()
