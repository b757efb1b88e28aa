#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""echo-server.py - TCP and UDP echo server for the integration tests.

Usage: echo-server.py ADDR PORT [ACCEPT_LOG]

Serves TCP echo (one thread per connection, until EOF) and UDP echo on
the same numeric ADDR and PORT; IPv6 if ADDR contains ':'.  With
ACCEPT_LOG, each accepted TCP connection and each received UDP datagram
appends one line "tcp PEER" or "udp PEER" to that file, so a test can
prove that nothing reached this server.  The server exits by itself
after 300 s so that a test that dies without cleanup leaves nothing
behind for long.
"""
import os
import socket
import sys
import threading
import time

LIFETIME_S = 300
log_lock = threading.Lock()


def note(log, kind, peer):
    if not log:
        return
    with log_lock:
        with open(log, "a") as f:
            f.write("%s %s\n" % (kind, peer[0] + ":" + str(peer[1])))


def serve_conn(conn):
    conn.settimeout(60)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    finally:
        conn.close()


def serve_tcp(sock, log):
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            continue
        note(log, "tcp", peer)
        threading.Thread(target=serve_conn, args=(conn,), daemon=True).start()


def serve_udp(sock, log):
    while True:
        try:
            data, peer = sock.recvfrom(65536)
            note(log, "udp", peer)
            sock.sendto(data, peer)
        except OSError:
            pass


def bind(family, kind, addr, port):
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    return s


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: echo-server.py ADDR PORT [ACCEPT_LOG]\n")
        return 2
    addr, port = sys.argv[1], int(sys.argv[2])
    log = sys.argv[3] if len(sys.argv) == 4 else None
    if log:
        open(log, "a").close()
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    tcp = bind(family, socket.SOCK_STREAM, addr, port)
    tcp.listen(4096)
    udp = bind(family, socket.SOCK_DGRAM, addr, port)
    threading.Thread(target=serve_tcp, args=(tcp, log), daemon=True).start()
    threading.Thread(target=serve_udp, args=(udp, log), daemon=True).start()
    print("echo-server: listening on %s port %d (tcp+udp)" % (addr, port),
          flush=True)
    time.sleep(LIFETIME_S)
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
