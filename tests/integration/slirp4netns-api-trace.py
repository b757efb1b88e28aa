#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""slirp4netns-api-trace.py - exec a slirp4netns binary, logging its API.

Usage: slirp4netns-api-trace.py LOG REAL ARGS...

A diagnostic for the slirp4netns compat tests (test-rootlesskit.sh,
test-podman-slirp4netns.sh with NB_S4NN_API_TRACE=1).  If ARGS ask for
an API socket (--api-socket P, --api-socket=P, -a P), this binds P
itself, gives REAL "P.real" instead, and forks a relay that copies every
connection on P to P.real byte for byte in both directions, half-closes
included, appending each chunk to LOG:

    <conn> c2s <bytes as a Python literal>
    <conn> s2c <bytes>
    <conn> c2s EOF

Then it execs REAL with the (rewritten) ARGS, keeping its pid and every
inherited fd (the ready and exit fds), so that the caller sees REAL.  The
relay exits when REAL's pid is gone.  Without an API socket it only
execs REAL.
"""
import os
import socket
import sys
import threading
import time

LOG = sys.argv[1]
REAL = sys.argv[2]
ARGS = sys.argv[3:]
lock = threading.Lock()


def log(line):
    with lock:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def find_api(args):
    """(index, path, style) of the API socket option, or None."""
    for i, a in enumerate(args):
        if a in ("--api-socket", "-a") and i + 1 < len(args):
            return i, args[i + 1], "sep"
        if a.startswith("--api-socket="):
            return i, a.split("=", 1)[1], "eq"
        if a == "--":
            break
    return None


def pump(conn_id, src, dst, name):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                log("%d %s EOF" % (conn_id, name))
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            log("%d %s %r" % (conn_id, name, data))
            dst.sendall(data)
    except OSError as e:
        log("%d %s error %s" % (conn_id, name, e))


def relay(lsock, target, watch_pid):
    def alive():
        try:
            os.kill(watch_pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    lsock.settimeout(0.5)
    n = 0
    while alive():
        try:
            c, _ = lsock.accept()
        except socket.timeout:
            continue
        n += 1
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        end = time.time() + 10
        while True:
            try:
                s.connect(target)
                break
            except OSError as e:
                if time.time() > end:
                    log("%d connect %s failed: %s" % (n, target, e))
                    c.close()
                    s = None
                    break
                time.sleep(0.05)
        if s is None:
            continue
        log("%d connected" % n)
        for src, dst, name in ((c, s, "c2s"), (s, c, "s2c")):
            threading.Thread(target=pump, args=(n, src, dst, name),
                             daemon=True).start()
    try:
        os.unlink(lsock.getsockname())
    except OSError:
        pass


def main():
    args = list(ARGS)
    api = find_api(args)
    if api is None:
        os.execv(REAL, [REAL] + args)
    i, path, style = api
    real_path = path + ".real"
    if style == "sep":
        args[i + 1] = real_path
    else:
        args[i] = "--api-socket=" + real_path
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(16)
    log("api %s -> %s" % (path, real_path))
    pid = os.getpid()
    if os.fork() == 0:
        # The relay: detach from the caller's fds (the ready/exit fds
        # must be REAL's alone) and serve until REAL exits.
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in range(0, 1024):
            if fd != devnull and fd != lsock.fileno():
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.setsid()
        relay(lsock, real_path, pid)
        os._exit(0)
    lsock.close()
    os.execv(REAL, [REAL] + args)


main()
