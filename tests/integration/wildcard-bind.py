#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""wildcard-bind.py - sockets bound to the wildcard with port 0, then
connected, as dig, libuv (node's dgram.connect) and Java's DatagramSocket
do.

Usage: wildcard-bind.py HOST PORT CLOSEDPORT

HOST:PORT is an echo server (echo-server.py), TCP and UDP; nothing
listens on HOST:CLOSEDPORT.  Run under "nsbypass run --net=none", where
only a switched socket reaches HOST.  Each case binds a socket of HOST's
family to the wildcard with port 0 (after some options), connects it and
exchanges one echo; then:
  - getsockname() names a real local address and a port (the host's: the
    port the container saw after bind() is not kept);
  - every option set before reads back the same;
  - the socket is still bound: bind() again gives EINVAL.
Cases that Linux answers without connecting must get Linux's errno:
connect() of a listening socket gives EISCONN; a socket bound to an
explicit port stays in the container (ENETUNREACH under --net=none).
Ends with "OK wildcard-bind N" or "FAIL ..." (exit 1).
"""
import errno
import socket
import sys

from nbclient import echo, fail

IP_BIND_ADDRESS_NO_PORT = 24


class Case:
    def __init__(self, host, port, closed):
        self.host, self.port, self.closed = host, port, closed
        self.fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.any = "::" if self.fam == socket.AF_INET6 else "0.0.0.0"
        self.n = 0

    def sock(self, kind, opts):
        s = socket.socket(self.fam, kind)
        for level, opt, val in opts:
            s.setsockopt(level, opt, val)
        return s

    def connected(self, name, kind, opts, before_connect=None):
        """Bind to the wildcard with port 0, connect, check."""
        s = self.sock(kind, opts)
        s.bind((self.any, 0))
        seen = s.getsockname()
        if before_connect:
            before_connect(s)
        try:
            s.connect((self.host, self.port))
        except OSError as e:
            fail("%s: connect: %s" % (name, errno.errorcode.get(e.errno)))
        if not echo(s, kind):
            fail("%s: no echo" % name)
        local = s.getsockname()
        if local[0] in ("0.0.0.0", "::") or local[1] == 0:
            fail("%s: getsockname %s after connect" % (name, local))
        for level, opt, val in opts:
            if s.getsockopt(level, opt) != val:
                fail("%s: option %d/%d lost" % (name, level, opt))
        try:
            s.bind((self.any, 0))
            fail("%s: bound again after connect" % name)
        except OSError as e:
            if e.errno != errno.EINVAL:
                fail("%s: second bind: %s" % (name, e))
        s.close()
        self.n += 1
        print("%s: bound %s, connected from %s" % (name, seen, local),
              flush=True)

    def want_errno(self, name, kind, port, want, prepare):
        s = self.sock(kind, [])
        prepare(s)
        try:
            s.connect((self.host, port))
            fail("%s: connected, want %s" % (name, errno.errorcode[want]))
        except OSError as e:
            if e.errno != want:
                fail("%s: got %s, want %s" % (name,
                     errno.errorcode.get(e.errno), errno.errorcode[want]))
        s.close()
        self.n += 1
        print("%s: %s, as Linux" % (name, errno.errorcode[want]), flush=True)


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: wildcard-bind.py HOST PORT CLOSEDPORT\n")
        return 2
    c = Case(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
    S, TCP, UDP = socket.SOL_SOCKET, socket.SOCK_STREAM, socket.SOCK_DGRAM
    lo = "::1" if c.fam == socket.AF_INET6 else "127.0.0.1"

    for kind, k in ((TCP, "tcp"), (UDP, "udp")):
        c.connected(k + " plain", kind, [])
        c.connected(k + " SO_REUSEADDR", kind, [(S, socket.SO_REUSEADDR, 1)])
        c.connected(k + " SO_REUSEPORT", kind, [(S, socket.SO_REUSEPORT, 1)])
        c.connected(k + " IP_BIND_ADDRESS_NO_PORT", kind,
                    [(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)])
        if c.fam == socket.AF_INET6:
            for v in (0, 1):
                c.connected("%s IPV6_V6ONLY=%d" % (k, v), kind,
                            [(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v)])

    # Linux may connect a TCP socket again after its connect failed: the
    # first try goes to the container's own loopback, where nothing
    # listens.
    def refused_inside(s):
        try:
            s.connect((lo, c.closed))
            fail("tcp connect to %s:%d inside succeeded" % (lo, c.closed))
        except ConnectionRefusedError:
            pass
    c.connected("tcp after a refused connect inside", TCP, [],
                refused_inside)

    def listening(s):
        s.bind((c.any, 0))
        s.listen(1)
    c.want_errno("tcp listening", TCP, c.port, errno.EISCONN, listening)

    def explicit_port(s):
        s.bind((c.any, c.closed))
    for kind, k in ((TCP, "tcp"), (UDP, "udp")):
        c.want_errno(k + " bound to an explicit port", kind, c.port,
                     errno.ENETUNREACH, explicit_port)
    print("OK wildcard-bind %d" % c.n, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
