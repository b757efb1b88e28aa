#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""oci-fuzz.py - hostile peers of the `nsbypass oci` listener socket.

Usage: oci-fuzz.py SOCKET MODE

Each mode connects, sends one kind of bad container process state (with
pipes where fds are wanted: none of them is a seccomp notify fd), shuts
down its sending side and waits for the daemon to close the connection.
Modes: truncated, nofd, huge (2 MiB, over the limit), mismatch (3 fds,
fds names 1), manyfds (70 fds in one message), garbage, stall (sends
nothing for 15 s).  Prints "OK MODE" when the daemon closed the
connection, exit status 1 otherwise.
"""
import json
import os
import socket
import sys
import time


def state(fds, pad=0):
    ann = {"nsbypass.test.pad": "x" * pad} if pad else {}
    return json.dumps({
        "ociVersion": "1.0.2", "fds": fds, "pid": os.getpid(),
        "state": {"ociVersion": "1.0.2", "id": "fuzz", "status": "creating",
                  "pid": os.getpid(), "bundle": "/x", "annotations": ann},
    }).encode()


def pipes(n):
    out = []
    for _ in range(n):
        r, w = os.pipe()
        os.close(w)
        out.append(r)
    return out


def main():
    path, mode = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    try:
        send(s, mode)
    except (BrokenPipeError, ConnectionResetError):
        print("OK %s (closed while sending)" % mode)
        return
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        print("FAIL %s: the daemon kept the connection open" % mode)
        sys.exit(1)
    except OSError:
        pass
    print("OK " + mode)


def send(s, mode):
    if mode == "truncated":
        data = state(["seccompFd"])
        socket.send_fds(s, [data[: len(data) // 2]], pipes(1))
    elif mode == "nofd":
        s.sendall(state(["seccompFd"]))
    elif mode == "huge":
        data = state(["seccompFd"], pad=2 * 1024 * 1024)
        socket.send_fds(s, [data[:4096]], pipes(1))
        s.sendall(data[4096:])
    elif mode == "mismatch":
        socket.send_fds(s, [state(["seccompFd"])], pipes(3))
    elif mode == "manyfds":
        socket.send_fds(s, [state(["seccompFd"])], pipes(70))
    elif mode == "garbage":
        socket.send_fds(s, [b"\x00\xff{]]not json"], pipes(1))
    elif mode == "stall":
        time.sleep(15)
    else:
        sys.exit("bad mode")
    s.shutdown(socket.SHUT_WR)


main()
