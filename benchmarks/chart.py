#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""chart.py - write a gnuplot script that draws the results as bar charts.

Usage: chart.py RESULTS.json SCRIPT.gp OUT.png

One panel per headline metric that was measured (bulk TCP, connection
rate, latency p50), one bar per path, labelled with its median.
"""
import json
import sys

PANELS = [("bulk-tcp", "Bulk TCP, 1 stream (Gbit/s, higher is better)"),
          ("bulk-tcp-in", "Bulk TCP host->container, published port (Gbit/s)"),
          ("crr", "Connection rate (conn/s, higher is better)"),
          ("rr-p50", "Request/response p50 (us, lower is better)"),
          ("redis-get", "redis GET (req/s, higher is better)")]


def main():
    src, script, png = sys.argv[1:4]
    with open(src) as f:
        rows = json.load(f)["results"]
    panels = []
    for metric, title in PANELS:
        pts = [(r["path"], r["median"]) for r in rows
               if r["metric"] == metric and r["median"] is not None]
        if pts:
            panels.append((title, pts))
    if not panels:
        sys.exit("chart.py: nothing to draw")
    cols = min(3, len(panels))
    rows = (len(panels) + cols - 1) // cols
    out = ["set terminal pngcairo size %d,%d font 'sans,9'" %
           (460 * cols, 420 * rows),
           "set output '%s'" % png.replace("'", ""),
           "set multiplot layout %d,%d" % (rows, cols),
           "set style fill solid 0.8 border -1",
           "set boxwidth 0.6", "set grid ytics", "set yrange [0:*]",
           "set xtics rotate by -30 nomirror", "unset key"]
    for title, pts in panels:
        out.append("set title \"%s\"" % title)
        out.append("$d << EOD")
        for i, (p, v) in enumerate(pts):
            out.append("%d \"%s\" %g" % (i, p, v))
        out.append("EOD")
        out.append("plot $d using 1:3:xtic(2) with boxes lc rgb '#4c72b0', "
                   "'' using 1:3:($3 >= 100 ? sprintf('%.0f', $3) : "
                   "sprintf('%.3g', $3)) with labels offset 0,0.7")
    out.append("unset multiplot")
    with open(script, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
