#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""control-hostile.py - hostile clients of `nsbypass oci`'s control socket
(or its --metrics port), and a well-behaved one that must be served
meanwhile.

Usage: control-hostile.py ENDPOINT
  ENDPOINT: a unix socket path, or HOST:PORT

Checks, one line each ("PASS ..." or "FAIL ..."):
  huge-url      a 1 MiB request line gets 414 (or the connection closed),
  many-headers  2000 headers get 431 (or the connection closed),
  slowloris     80 connections sending a request a byte a second: a
                GET /metrics is answered within 1 s while they hold on,
and, after each, GET /metrics is answered with 200.  Exits 1 if a check
failed.
"""
import socket
import sys
import threading
import time

DEADLINE = 1.0


def connect(ep, timeout=5.0):
    if "/" in ep:
        s = socket.socket(socket.AF_UNIX)
        addr = ep
    else:
        host, port = ep.rsplit(":", 1)
        s = socket.socket(socket.AF_INET)
        addr = (host, int(port))
    s.settimeout(timeout)
    s.connect(addr)
    return s


def status_line(s, data):
    """Send data (errors ignored: the server may close first) and read
    the status line; "closed" if the connection ends without one."""
    try:
        s.sendall(data)
    except OSError:
        pass
    buf = b""
    try:
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except OSError:
        pass
    s.close()
    return buf.split(b"\r\n")[0].decode("latin-1") if buf else "closed"


def get_metrics(ep):
    start = time.monotonic()
    line = status_line(connect(ep),
                       b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
    return line, time.monotonic() - start


def main():
    ep = sys.argv[1]
    ok = True

    def check(name, good, what):
        nonlocal ok
        print(("PASS " if good else "FAIL ") + name + ": " + what)
        ok = ok and good

    def still_served(name):
        line, took = get_metrics(ep)
        check(name + " then", line.startswith("HTTP/1.1 200"),
              "%r in %.3f s" % (line, took))

    line = status_line(connect(ep), b"GET /" + b"a" * (1 << 20) +
                       b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check("huge-url", line.startswith("HTTP/1.1 414") or line == "closed",
          line)
    still_served("huge-url")

    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 20)
                       for i in range(2000))
    line = status_line(connect(ep), b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                       + headers + b"\r\n")
    check("many-headers",
          line.startswith("HTTP/1.1 431") or line.startswith("HTTP/1.1 413")
          or line == "closed", line)
    still_served("many-headers")

    stop = threading.Event()
    held = []

    def slow(s):
        try:
            for b in b"GET /metrics HTTP/1.1\r\nHost: x\r\n":
                if stop.wait(1.0):
                    break
                s.send(bytes([b]))
        except OSError:
            pass

    threads = []
    for _ in range(80):
        try:
            s = connect(ep, timeout=0.5)
        except OSError:
            continue  # past the limit: waits in the backlog, or refused
        held.append(s)
        t = threading.Thread(target=slow, args=(s,), daemon=True)
        t.start()
        threads.append(t)
    time.sleep(1.5)
    line, took = get_metrics(ep)
    check("slowloris", line.startswith("HTTP/1.1 200") and took < DEADLINE,
          "%d slow connections, %r in %.3f s" % (len(held), line, took))
    stop.set()
    for s in held:
        s.close()
    still_served("slowloris")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
