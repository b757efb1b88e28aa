#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""blackhole-server.py - a TCP listener that never completes a handshake,
or only after a while.

Usage: blackhole-server.py ADDR PORT [OPEN_AFTER]

Listens with a backlog of 0 and fills its own accept queue with two
connections it never accepts: Linux then drops every further SYN to
ADDR:PORT, so a client's connect() hangs until its timeout, without any
packet leaving the machine.  With OPEN_AFTER (seconds) it starts
accepting then ("open" on stdout), and a client's retransmitted SYN gets
through: a blocking connect() that hangs first and completes later.
Exits by itself after 300 s.
"""
import socket
import sys
import time

addr, port = sys.argv[1], int(sys.argv[2])
open_after = float(sys.argv[3]) if len(sys.argv) > 3 else None
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
srv = socket.socket(fam, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(0)
fillers = []
for _ in range(2):
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex((addr, port))
    fillers.append(c)
    time.sleep(0.2)
print("blackhole ready", flush=True)
end = time.time() + 300
if open_after is None:
    time.sleep(300)
    sys.exit(0)
time.sleep(open_after)
print("open", flush=True)
srv.settimeout(1)
held = []
while time.time() < end:
    try:
        held.append(srv.accept()[0])
    except socket.timeout:
        pass
