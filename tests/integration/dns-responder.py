#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""dns-responder.py - a tiny authoritative DNS server for the tests.

Usage: dns-responder.py ADDR PORT NAME IPV4 LOG

Listens on UDP ADDR:PORT (IPv6 if ADDR contains ':').  A query for NAME (type A or ANY, class IN)
gets one A record, IPV4, with TTL 60; any other query gets NXDOMAIN, and
a datagram that is not a DNS query is dropped.  Every datagram appends
one line to LOG before the answer goes out:

    query QNAME QTYPE from PEER_ADDR:PEER_PORT

so a test can prove that a query reached this server, and from where.
Only the question section is read, with bounded name parsing (no
compression pointers, as a question never has them).  The server exits
by itself after 300 s so that a test that dies without cleanup leaves
nothing behind for long.
"""
import socket
import struct
import sys
import time

LIFETIME_S = 300
TYPE_A, TYPE_ANY, CLASS_IN = 1, 255, 1


def parse_question(data):
    """Return (id, flags, qname, qtype, qclass, end) or None."""
    if len(data) < 12:
        return None
    qid, flags, qd, _an, _ns, _ar = struct.unpack("!6H", data[:12])
    if flags & 0x8000 or qd != 1:	# a response, or not one question
        return None
    labels, pos = [], 12
    while True:
        if pos >= len(data) or len(labels) > 127:
            return None
        n = data[pos]
        pos += 1
        if n == 0:
            break
        if n > 63 or pos + n > len(data):
            return None
        labels.append(data[pos:pos + n].decode("ascii", "replace"))
        pos += n
    if pos + 4 > len(data):
        return None
    qtype, qclass = struct.unpack("!2H", data[pos:pos + 4])
    return qid, flags, ".".join(labels).lower(), qtype, qclass, pos + 4


def answer(data, q, name, ip):
    qid, flags, qname, qtype, qclass, end = q
    rd = flags & 0x0100
    question = data[12:end]
    if qname == name and qclass == CLASS_IN and qtype in (TYPE_A, TYPE_ANY):
        hdr = struct.pack("!6H", qid, 0x8400 | rd, 1, 1, 0, 0)
        rr = struct.pack("!H2HIH", 0xC00C, TYPE_A, CLASS_IN, 60, 4)
        return hdr + question + rr + socket.inet_aton(ip)
    hdr = struct.pack("!6H", qid, 0x8403 | rd, 1, 0, 0, 0)	# NXDOMAIN
    return hdr + question


def main():
    addr, port, name, ip, log = sys.argv[1:6]
    name = name.lower().rstrip(".")
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    s.settimeout(1)
    end = time.time() + LIFETIME_S
    while time.time() < end:
        try:
            data, peer = s.recvfrom(4096)
        except socket.timeout:
            continue
        q = parse_question(data)
        with open(log, "a") as f:
            if q:
                f.write("query %s %d from %s:%d\n" % (q[2] or ".", q[3],
                                                      peer[0], peer[1]))
            else:
                f.write("junk from %s:%d\n" % peer[:2])
        if q:
            s.sendto(answer(data, q, name, ip), peer)


if __name__ == "__main__":
    main()
