#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""publish-server.py - servers for test-publish.sh, run inside the container.

  publish-server.py SECONDS SPEC...   SPEC is tcp:ADDR:PORT or udp:ADDR:PORT
                                      (an IPv6 ADDR in brackets: [::])
Each TCP server answers every connection with one line
"tcp peer PEER_ADDR sock SOCKNAME_PORT" and closes; each UDP server answers
every datagram with "udp peer PEER_ADDR".  After every bind() a line
"bound SPEC PORT" or "bindfail SPEC ERRNO_NAME" goes to stdout; "ready"
follows once all are listening.  Exits after SECONDS.
"""
import errno
import socket
import sys
import threading
import time


def serve_tcp(s):
    while True:
        c, peer = s.accept()
        port = s.getsockname()[1]
        c.sendall(f"tcp peer {peer[0]} sock {port}\n".encode())
        c.close()


def serve_udp(s):
    while True:
        _, peer = s.recvfrom(2048)
        s.sendto(f"udp peer {peer[0]}\n".encode(), peer)


def main():
    end = time.time() + float(sys.argv[1])
    for spec in sys.argv[2:]:
        proto, rest = spec.split(":", 1)
        addr, port = rest.rsplit(":", 1)
        addr = addr.strip("[]")
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(fam, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((addr, int(port)))
        except OSError as e:
            print(f"bindfail {spec} {errno.errorcode.get(e.errno, e.errno)}",
                  flush=True)
            s.close()
            continue
        print(f"bound {spec} {s.getsockname()[1]}", flush=True)
        if proto == "tcp":
            s.listen(16)
            target = serve_tcp
        else:
            target = serve_udp
        threading.Thread(target=target, args=(s,), daemon=True).start()
    print("ready", flush=True)
    while time.time() < end:
        time.sleep(0.2)


main()
