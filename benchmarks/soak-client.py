#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""soak-client.py - what a container does in benchmarks/soak.sh.

Usage:
  soak-client.py connects ADDR PORT N
      N blocking connects to ADDR:PORT in a row, each closed at once.
      Prints "connects N errors {...}"; exits 1 on any error.
  soak-client.py gaps ADDR PORT SECONDS MARK
      Connects (and closes) in a loop for SECONDS, creating the file MARK
      after the first one, and notes when each connect completed.  Prints
      "gap_max_ms: X ms" (the longest time between two completed connects,
      the time a restarted agent took), "gap_p50_ms: X ms" and
      "connects: N"; exits 1 on any error.  An EINTR is retried as
      programs do (EALREADY: wait; EISCONN: done).
"""
import errno
import select
import socket
import sys
import time


def connect(addr, port):
    """One blocking connect, closed at once; 0 or the errno."""
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    try:
        err = s.connect_ex((addr, port))
        while err in (errno.EINTR, errno.EALREADY):
            select.select([], [s], [], 5)
            err = s.connect_ex((addr, port))
        return 0 if err == errno.EISCONN else err
    finally:
        s.close()


def connects(addr, port, n):
    errors = {}
    for _ in range(n):
        err = connect(addr, port)
        if err:
            name = errno.errorcode.get(err, str(err))
            errors[name] = errors.get(name, 0) + 1
    print("connects %d errors %s" % (n, errors))
    return 1 if errors else 0


def gaps(addr, port, seconds, mark):
    done = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        err = connect(addr, port)
        if err:
            print("FAIL connect: %s" % errno.errorcode.get(err, str(err)))
            return 1
        done.append(time.monotonic())
        if len(done) == 1:
            open(mark, "w").close()
    if len(done) < 2:
        print("FAIL only %d connects" % len(done))
        return 1
    d = sorted(b - a for a, b in zip(done, done[1:]))
    print("connects: %d" % len(done))
    print("gap_p50_ms: %.3f ms" % (d[len(d) // 2] * 1e3))
    print("gap_max_ms: %.3f ms" % (d[-1] * 1e3))
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "connects":
        return connects(argv[2], int(argv[3]), int(argv[4]))
    if len(argv) == 6 and argv[1] == "gaps":
        return gaps(argv[2], int(argv[3]), float(argv[4]), argv[5])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
