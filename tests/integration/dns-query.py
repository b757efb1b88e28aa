#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""dns-query.py - one raw DNS query over UDP, as a container would send it.

Usage: dns-query.py SERVER PORT NAME

Sends one A query for NAME (recursion desired, a random id) to
SERVER:PORT and waits up to 3 s for the answer, re-sending once after
1.5 s.  The last stdout line is "OK NAME A IPV4[,IPV4...]" (exit 0)
when the answer matches the query and carries A records, else
"FAIL <reason>" (exit 1): an errno name, a timeout, a bad id, an rcode.

The socket is never connect()ed: sendto() on an unconnected socket is
not trapped by nsbypass, so the datagram takes the container's own
routes (tap0 and slirp with --net=slirp, none with --net=none).  A
connected socket to 10.0.2.3 would be bypassed under --net=none and
sent wherever the host routes 10.0.2.3.
"""
import errno
import random
import select
import socket
import struct
import sys
import time


def fail(msg):
    print("FAIL %s" % msg)
    sys.exit(1)


def query(qid, name):
    hdr = struct.pack("!6H", qid, 0x0100, 1, 0, 0, 0)
    q = b"".join(bytes([len(l)]) + l.encode("ascii")
                 for l in name.rstrip(".").split("."))
    return hdr + q + b"\0" + struct.pack("!2H", 1, 1)


def skip_name(data, pos):
    while True:
        if pos >= len(data):
            raise ValueError("truncated name")
        n = data[pos]
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n
        if n == 0:
            return pos


def parse_answer(data, qid):
    if len(data) < 12:
        raise ValueError("short answer (%d bytes)" % len(data))
    rid, flags, qd, an, _ns, _ar = struct.unpack("!6H", data[:12])
    if rid != qid:
        raise ValueError("id %d, want %d" % (rid, qid))
    if not flags & 0x8000:
        raise ValueError("not a response")
    if flags & 0xF:
        raise ValueError("rcode %d" % (flags & 0xF))
    pos = 12
    for _ in range(qd):
        pos = skip_name(data, pos) + 4
    ips = []
    for _ in range(an):
        pos = skip_name(data, pos)
        rtype, _rclass, _ttl, rdlen = struct.unpack("!2HIH",
                                                    data[pos:pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            ips.append(socket.inet_ntoa(data[pos:pos + 4]))
        pos += rdlen
    if not ips:
        raise ValueError("no A record in %d answer(s)" % an)
    return ips


def main():
    server, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    qid = random.randrange(1, 65536)
    pkt = query(qid, name)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.monotonic() + 3
    next_send = 0.0
    while True:
        now = time.monotonic()
        if now >= end:
            fail("timeout: no answer from %s:%d in 3 s" % (server, port))
        if now >= next_send:
            try:
                s.sendto(pkt, (server, port))
            except OSError as e:
                fail("sendto: %s" % errno.errorcode.get(e.errno, e.errno))
            next_send = now + 1.5
        r, _, _ = select.select([s], [], [], min(end, next_send) - now)
        if not r:
            continue
        try:
            data, peer = s.recvfrom(4096)
        except OSError as e:
            fail("recvfrom: %s" % errno.errorcode.get(e.errno, e.errno))
        if peer != (server, port):
            continue	# not from the server we asked
        try:
            ips = parse_answer(data, qid)
        except (ValueError, struct.error) as e:
            fail("bad answer from %s:%d: %s" % (peer[0], peer[1], e))
        print("OK %s A %s" % (name, ",".join(ips)))
        return


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
