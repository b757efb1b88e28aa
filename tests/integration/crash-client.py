#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""crash-client.py - what a container does while its agent is killed.

Usage:
  crash-client.py loop ADDR PORT SECONDS THREADS UNIX_PATH [STOP_FILE]
      THREADS threads connect to ADDR:PORT and close, in a loop, for
      SECONDS (or until STOP_FILE exists); one more connects to the
      AF_UNIX socket UNIX_PATH in a loop.  Every connect() must succeed; an EINTR is retried as a
      program does (EALREADY: wait; EISCONN: done).  Prints "connects N
      unix N errors {...}" and exits 1 on any error.
  crash-client.py once ADDR PORT
      One blocking connect; prints "OK connected after S s" or the errno.
  crash-client.py bulk ADDR PORT MBYTES MARK
      Connects, writes MARK once connected (a file the test waits for),
      sends MBYTES MiB of a fixed pseudo-random stream, shuts down, reads
      the server's SHA-256 of what it received and compares it with its
      own: "OK bulk N bytes sha256 HEX" or "FAIL ...".
  crash-client.py errno ADDR PORT
      One connect; prints "errno N" (0: success).
"""
import errno
import hashlib
import os
import select
import socket
import sys
import threading
import time


def connect(addr, port):
    """A blocking connect that retries EINTR the way programs do."""
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    err = s.connect_ex((addr, port))
    while err in (errno.EINTR, errno.EALREADY):
        # The handshake goes on: wait for it, then ask again.
        select.select([], [s], [], 5)
        err = s.connect_ex((addr, port))
    if err == errno.EISCONN:
        err = 0
    return s, err


def loop(addr, port, seconds, threads, unix_path, stop_file=None):
    end = time.time() + seconds

    def going():
        return time.time() < end and not (stop_file and
                                           os.path.exists(stop_file))

    lock = threading.Lock()
    counts = {"connects": 0, "unix": 0}
    errors = {}

    def note(key, err):
        with lock:
            if err:
                name = errno.errorcode.get(err, str(err))
                errors[name] = errors.get(name, 0) + 1
            else:
                counts[key] += 1

    def tcp():
        while going():
            s, err = connect(addr, port)
            s.close()
            note("connects", err)

    def unix():
        while going():
            s = socket.socket(socket.AF_UNIX)
            note("unix", s.connect_ex(unix_path))
            s.close()
            time.sleep(0.001)

    ts = [threading.Thread(target=tcp) for _ in range(threads)]
    ts.append(threading.Thread(target=unix))
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("connects %d unix %d errors %s" % (counts["connects"],
                                              counts["unix"], errors))
    return 1 if errors or not counts["connects"] or not counts["unix"] else 0


def once(addr, port):
    t = time.time()
    s, err = connect(addr, port)
    if err:
        print("errno %d (%s) after %.2f s" % (err, os.strerror(err),
                                             time.time() - t))
        return 1
    print("OK connected after %.2f s" % (time.time() - t))
    return 0


def stream(nbytes):
    """A fixed pseudo-random byte stream, in 1 MiB pieces."""
    h = hashlib.sha256(b"nsbypass crash test")
    sent = 0
    while sent < nbytes:
        piece = bytearray()
        while len(piece) < (1 << 20):
            h = hashlib.sha256(h.digest())
            piece += h.digest() * 64
        piece = bytes(piece[: min(1 << 20, nbytes - sent)])
        sent += len(piece)
        yield piece


def bulk(addr, port, mbytes, mark):
    s, err = connect(addr, port)
    if err:
        print("FAIL connect: errno %d" % err)
        return 1
    with open(mark, "w") as f:
        f.write("connected\n")
    digest = hashlib.sha256()
    total = 0
    for piece in stream(mbytes << 20):
        s.sendall(piece)
        digest.update(piece)
        total += len(piece)
    s.shutdown(socket.SHUT_WR)
    theirs = b""
    while True:
        b = s.recv(256)
        if not b:
            break
        theirs += b
    ours = digest.hexdigest()
    if theirs.decode().strip() != "%d %s" % (total, ours):
        print("FAIL bulk: sent %d bytes sha256 %s, server got %r"
              % (total, ours, theirs))
        return 1
    print("OK bulk %d bytes sha256 %s" % (total, ours))
    return 0


def one_errno(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    print("errno %d" % s.connect_ex((addr, port)))
    return 0


def main():
    mode = sys.argv[1]
    if mode == "loop":
        return loop(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
                    int(sys.argv[5]), sys.argv[6],
                    sys.argv[7] if len(sys.argv) > 7 else None)
    if mode == "once":
        return once(sys.argv[2], int(sys.argv[3]))
    if mode == "bulk":
        return bulk(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    sys.argv[5])
    if mode == "errno":
        return one_errno(sys.argv[2], int(sys.argv[3]))
    sys.exit("crash-client.py: unknown mode %r" % mode)


if __name__ == "__main__":
    sys.exit(main())
