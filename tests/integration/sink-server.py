#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""sink-server.py - accept TCP connections, one at a time; read each to
its end and answer "BYTES SHA256HEX" of what arrived, then close.  With
"--close" instead: accept and close at once, as fast as it can (a target
for connect loops).

Usage: sink-server.py [--close] ADDR PORT
ADDR unix:PATH listens on the AF_UNIX socket PATH (PORT is ignored).
Exits by itself after 300 s.
"""
import hashlib
import signal
import socket
import sys

args = sys.argv[1:]
close_only = args[:1] == ["--close"]
if close_only:
    args = args[1:]
addr, port = args[0], int(args[1])
signal.alarm(300)
if addr.startswith("unix:"):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(addr[5:])
else:
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
srv.listen(4096)
while True:
    c, _ = srv.accept()
    if close_only:
        c.close()
        continue
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.sendall(("%d %s\n" % (n, h.hexdigest())).encode())
    c.close()
