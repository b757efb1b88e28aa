#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""client-sockopts.py - what common clients set before connect() survives it.

Usage: client-sockopts.py HOST PORT

HOST:PORT is an echo server (echo-server.py), TCP and UDP.  For each
client below, a socket of HOST's family gets the options that client
sets before connect() (read with strace from curl 7.88, OpenSSH 9.2,
glibc 2.36's resolver, Go 1.19, OpenJDK 17, dig 9.18; nginx 1.22's
ngx_event_connect_peer() from its source), is connected, exchanges one
echo, and must read back every option as it was before the connect.
Where a client sets an option to its default, another value is used,
so that a lost option shows.  Prints one line per client and ends with
"OK client-sockopts N" or "FAIL ..." (exit 1).
"""
import socket
import sys

from nbclient import echo, fail

S, TCP, IP, IP6 = (socket.SOL_SOCKET, socket.IPPROTO_TCP, socket.IPPROTO_IP,
                   socket.IPPROTO_IPV6)
TCP_FASTOPEN_CONNECT = 30
IP_MULTICAST_ALL = 49
IP_BIND_ADDRESS_NO_PORT = 24
IPV6_RECVPKTINFO = 49
IP_RECVERR = 11
IPV6_RECVERR = 25
IP_MTU_DISCOVER = 10
IP_PMTUDISC_OMIT = 5

# (client, type, families, [(level, name, label, value)])
CLIENTS = [
    ("curl --tcp-fastopen", socket.SOCK_STREAM, "46", [
        (TCP, socket.TCP_NODELAY, "TCP_NODELAY", 1),
        (S, socket.SO_KEEPALIVE, "SO_KEEPALIVE", 1),
        (TCP, socket.TCP_KEEPIDLE, "TCP_KEEPIDLE", 60),
        (TCP, socket.TCP_KEEPINTVL, "TCP_KEEPINTVL", 60),
        (TCP, TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT", 1)]),
    ("ssh (IPQoS)", socket.SOCK_STREAM, "4", [
        (IP, socket.IP_TOS, "IP_TOS", 16)]),
    ("ssh (IPQoS)", socket.SOCK_STREAM, "6", [
        (IP6, socket.IPV6_TCLASS, "IPV6_TCLASS", 16)]),
    ("glibc resolver", socket.SOCK_DGRAM, "4", [
        (IP, IP_RECVERR, "IP_RECVERR", 1)]),
    ("glibc resolver", socket.SOCK_DGRAM, "6", [
        (IP6, IPV6_RECVERR, "IPV6_RECVERR", 1)]),
    ("Go net", socket.SOCK_DGRAM, "6", [
        (IP6, socket.IPV6_V6ONLY, "IPV6_V6ONLY", 1),
        (S, socket.SO_BROADCAST, "SO_BROADCAST", 1)]),
    ("Java DatagramChannel", socket.SOCK_DGRAM, "6", [
        (IP6, socket.IPV6_V6ONLY, "IPV6_V6ONLY", 0),
        (IP6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", 1),
        (IP6, socket.IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS", 7)]),
    ("Java DatagramChannel (preferIPv4Stack)", socket.SOCK_DGRAM, "4", [
        (IP, IP_MULTICAST_ALL, "IP_MULTICAST_ALL", 0)]),
    ("nginx proxy_pass", socket.SOCK_STREAM, "46", [
        (S, socket.SO_RCVBUF, "SO_RCVBUF", 65536),
        (S, socket.SO_KEEPALIVE, "SO_KEEPALIVE", 1),
        (IP, IP_BIND_ADDRESS_NO_PORT, "IP_BIND_ADDRESS_NO_PORT", 1)]),
    ("dig", socket.SOCK_DGRAM, "4", [
        (S, socket.SO_REUSEPORT, "SO_REUSEPORT", 1),
        (IP, IP_MTU_DISCOVER, "IP_MTU_DISCOVER", IP_PMTUDISC_OMIT)]),
]


def run(host, port, name, kind, opts):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, kind)
    before = []
    for level, opt, label, val in opts:
        s.setsockopt(level, opt, val)
        before.append(s.getsockopt(level, opt))
    try:
        s.connect((host, port))
    except OSError as e:
        fail("%s: connect: %s" % (name, e))
    if not echo(s, kind):
        fail("%s: no echo" % name)
    for (level, opt, label, val), was in zip(opts, before):
        now = s.getsockopt(level, opt)
        if now != was:
            fail("%s: %s before=%d after=%d" % (name, label, was, now))
    s.close()
    print("%s over %s: %s kept" % (name, host,
          ", ".join(o[2] for o in opts)), flush=True)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: client-sockopts.py HOST PORT\n")
        return 2
    host, port = sys.argv[1], int(sys.argv[2])
    fam = "6" if ":" in host else "4"
    n = 0
    for name, kind, fams, opts in CLIENTS:
        if fam in fams:
            run(host, port, name, kind, opts)
            n += 1
    print("OK client-sockopts %d" % n, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
