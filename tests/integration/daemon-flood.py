#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""daemon-flood.py - flood `nsbypass daemon` with idle connections, and
check that a well-behaved client is served during the flood and after it.

Usage: daemon-flood.py SOCKET CONNS HOLD [--stop PID]

Opens CONNS connections to the unix socket SOCKET at once (a thread
each, blocking connect(), so the ones past the daemon's limit wait in
the listen backlog), each sending a partial request line.  With every
connect() returned, a client sends GET /v1/bypass and must have its 200
within 1 s ("during").  At HOLD seconds all the flood's connections are
closed; with --stop, PID (the daemon) is stopped (SIGSTOP) while they
close and continued 0.2 s later, so that it sees every close at once.
Then the same request must be answered within 1 s ("after").

Prints one line per check; exits 0 if both passed, 1 if not.
"""
import os
import signal
import socket
import struct
import sys
import threading
import time

DEADLINE = 1.0
REQUEST = (b"GET /v1/bypass HTTP/1.1\r\nHost: bypass4netnsd\r\n"
           b"User-Agent: Go-http-client/1.1\r\nConnection: close\r\n\r\n")


def set_timeout(sock, seconds):
    """Bound a blocking connect() on a unix socket (SO_SNDTIMEO), and
    the reads and writes after it."""
    tv = struct.pack("ll", int(seconds), int((seconds % 1) * 1e6))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)


def probe(path):
    """One request as nerdctl's client sends it: (ok, description)."""
    start = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    set_timeout(s, DEADLINE)
    data = b""
    try:
        s.connect(path)
        s.sendall(REQUEST)
        while b"\r\n" not in data:
            left = DEADLINE - (time.monotonic() - start)
            if left <= 0:
                raise TimeoutError("no answer")
            set_timeout(s, left)
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        return False, "%s after %.3f s" % (e, time.monotonic() - start)
    finally:
        s.close()
    took = time.monotonic() - start
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    ok = line.startswith("HTTP/1.1 200") and took <= DEADLINE
    return ok, "'%s' in %.3f s" % (line, took)


def main():
    path, conns, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    stop = int(sys.argv[5]) if sys.argv[4:5] == ["--stop"] else 0
    socks, errors = [], []
    lock = threading.Lock()

    def flood_one():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        set_timeout(s, 10)
        with lock:
            socks.append(s)
        try:
            s.connect(path)
            s.send(b"GET /v1/bypa")
        except OSError as e:
            with lock:
                errors.append(str(e))

    start = time.monotonic()
    threads = [threading.Thread(target=flood_one) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("flood: %d connections, %d failed (%s) in %.3f s" %
          (conns, len(errors), "; ".join(sorted(set(errors))),
           time.monotonic() - start), flush=True)

    during_ok, during = probe(path)
    print("during the flood: %s" % during, flush=True)
    time.sleep(max(0.0, hold - (time.monotonic() - start)))

    if stop:
        os.kill(stop, signal.SIGSTOP)
    for s in socks:
        s.close()
    if stop:
        time.sleep(0.2)
        os.kill(stop, signal.SIGCONT)

    after_ok, after = probe(path)
    print("after the flood: %s" % after, flush=True)
    return 0 if during_ok and after_ok else 1


if __name__ == "__main__":
    sys.exit(main())
