#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""slirp4netns-api.py - a client of the slirp4netns API socket for the tests.

Usage:
  slirp4netns-api.py SOCK request JSON     send JSON, shut down, print reply
  slirp4netns-api.py SOCK raw NBYTES       send NBYTES of 'x', shut down,
                                           print the reply
  slirp4netns-api.py SOCK idle SECONDS     connect, send half a request,
                                           never shut down; meanwhile a
                                           list_hostfwd on a second
                                           connection must be answered
                                           within 2 s; then wait up to
                                           SECONDS for the idle one's
                                           reply and print it
  slirp4netns-api.py SOCK expect-entries JSON
                                           list_hostfwd must return exactly
                                           the entries in JSON (a list)

A path too long for sun_path is reached through its directory's fd.
Prints "OK ..." as its last line on success (exit 0), "FAIL ..." and exit
1 otherwise.  Every reply must be one JSON object.
"""
import json
import os
import socket
import sys
import time


def connect(s, sock):
    """Connect to SOCK, through its directory's fd if the path is too
    long for sun_path (as the server binds it)."""
    if len(sock.encode()) < 108:
        s.connect(sock)
        return
    d = os.open(os.path.dirname(sock), os.O_PATH | os.O_DIRECTORY)
    try:
        s.connect("/proc/self/fd/%d/%s" % (d, os.path.basename(sock)))
    finally:
        os.close(d)


def call(sock, data, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    connect(s, sock)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf


def parse(reply):
    print("reply: %s" % reply.decode(errors="replace"))
    obj = json.loads(reply)
    if not isinstance(obj, dict):
        raise ValueError("reply is not an object")
    return obj


def fail(msg):
    print("FAIL %s" % msg)
    sys.exit(1)


def main():
    sock, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "request":
        obj = parse(call(sock, arg.encode()))
        print("OK %s" % json.dumps(obj, sort_keys=True))
    elif mode == "raw":
        obj = parse(call(sock, b"x" * int(arg)))
        if "error" not in obj:
            fail("no error for %s bytes" % arg)
        print("OK error %s" % obj["error"].get("desc"))
    elif mode == "idle":
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connect(idle, sock)
        idle.sendall(b'{"execute":')
        t = time.time()
        obj = parse(call(sock, b'{"execute":"list_hostfwd"}', timeout=2))
        if "return" not in obj:
            fail("list_hostfwd next to an idle client: %s" % obj)
        took = time.time() - t
        idle.settimeout(float(arg))
        try:
            reply = idle.recv(65536)
        except socket.timeout:
            fail("the idle client got nothing in %s s" % arg)
        obj = parse(reply)
        if "error" not in obj:
            fail("the idle client got no error: %s" % obj)
        print("OK list answered in %.2f s next to an idle client, which "
              "got an error after %.1f s" % (took, time.time() - t))
    elif mode == "expect-entries":
        obj = parse(call(sock, b'{"execute":"list_hostfwd"}'))
        got = obj.get("return", {}).get("entries")
        want = json.loads(arg)
        if got != want:
            fail("entries %s, want %s" % (got, want))
        print("OK %d entries" % len(got))
    else:
        fail("unknown mode %s" % mode)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as e:
        fail("%s: %s" % (type(e).__name__, e))
