#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""service-map-cases.py - the cases of issue 12 point 4, inside the container.

  service-map-cases.py DIR V6 V6ONLY BOUND REUSE FORK REOPEN UDP TWICE REBIND

Each argument after DIR is a container port; all but UDP's are published
over TCP, UDP's over UDP.  Each case prints "OK NAME: ..." or
"FAIL NAME: ..."; "PORT0 P" names the port picked by a bind to port 0;
"END" closes.  Every server answers a connection with its tag and closes.
DIR/cases-up is written once the servers listen, and DIR/cases-host-done
is waited for (the host's checks) before the end.
"""
import os
import socket
import sys
import threading
import time

OWN4, OWN6 = "10.0.2.100", "fd00::100"


def serve(s, tag):
    while True:
        try:
            c, _ = s.accept()
        except OSError:
            return
        c.sendall(tag.encode() + b"\n")
        c.close()


def listener(fam, addr, port, tag, v6only=None, reuseport=False):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    s.bind((addr, port))
    s.listen(16)
    threading.Thread(target=serve, args=(s, tag), daemon=True).start()
    return s


def close_listener(s):
    """Close s for good: close() alone leaves it listening while the
    serving thread is still blocked in accept() on it."""
    s.shutdown(socket.SHUT_RDWR)
    s.close()


def get(addr, port):
    """The tag a server answers at addr:port, or the error's name."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        with socket.socket(fam, socket.SOCK_STREAM) as c:
            c.settimeout(5)
            c.connect((addr, port))
            return c.makefile().readline().strip()
    except OSError as e:
        return type(e).__name__


def check(name, addr, port, want):
    got = get(addr, port)
    ok = got in want if isinstance(want, (set, list, tuple)) else got == want
    print(f"{'OK' if ok else 'FAIL'} {name}: {addr}:{port} gave {got}",
          flush=True)


def check_group(name, addr, port, tags, tries=24):
    seen = {get(addr, port) for _ in range(tries)}
    ok = seen == set(tags)
    print(f"{'OK' if ok else 'FAIL'} {name}: {addr}:{port} gave "
          f"{sorted(seen)}", flush=True)


def main():
    d = sys.argv[1]
    v6, v6o, bound, reuse, fork, reopen, udp, twice, rebind = map(
        int, sys.argv[2:11])
    A6 = socket.AF_INET6
    A4 = socket.AF_INET

    listener(A6, "::", v6, "v6")
    listener(A6, "::", v6o, "v6only", v6only=True)
    listener(A4, OWN4, bound, "bound")
    for tag in ("r4a", "r4b"):
        listener(A4, "0.0.0.0", reuse, tag, reuseport=True)
    for tag in ("r6a", "r6b"):
        listener(A6, "::", reuse, tag, v6only=True, reuseport=True)
    pid = os.fork()
    if pid == 0:
        listener(A6, "::", fork, "child")
        time.sleep(60)
        os._exit(0)
    first = listener(A6, "::", reopen, "first")
    p0 = listener(A6, "::", 0, "port0")
    port0 = p0.getsockname()[1]
    print(f"PORT0 {port0}", flush=True)
    u = socket.socket(A6, socket.SOCK_DGRAM)
    u.bind(("::", udp))

    def echo():
        while True:
            _, peer = u.recvfrom(2048)
            u.sendto(b"udp\n", peer)

    threading.Thread(target=echo, daemon=True).start()
    listener(A6, "::", twice, "twice")
    for _ in range(50):  # the child's listener
        if get("127.0.0.1", fork) == "child":
            break
        time.sleep(0.1)

    check("v6-own-address", OWN6, v6, "v6")
    check("v6only-v6-loopback", "::1", v6o, "v6only")
    check("v6only-v4-loopback", "127.0.0.1", v6o, "ConnectionRefusedError")
    check("bound-own-address", OWN4, bound, "bound")
    check("bound-v4-loopback", "127.0.0.1", bound, "ConnectionRefusedError")
    check_group("reuseport-v4", "127.0.0.1", reuse, ("r4a", "r4b"))
    check_group("reuseport-v6", "::1", reuse, ("r6a", "r6b"))
    check("fork-child", "127.0.0.1", fork, "child")
    check("reopen-first", "127.0.0.1", reopen, "first")
    close_listener(first)
    check("reopen-closed", "127.0.0.1", reopen, "ConnectionRefusedError")
    listener(A6, "::", reopen, "second")
    check("reopen-second", "127.0.0.1", reopen, "second")
    check("reopen-second-own", OWN6, reopen, "second")
    # Closed, then bound again to 10.0.2.100 only, before the sweep: the
    # stale wildcard entry must not hand 127.0.0.1 to the new server.
    wide = listener(A6, "::", rebind, "wide")
    check("rebind-wide", "127.0.0.1", rebind, "wide")
    close_listener(wide)
    listener(A4, OWN4, rebind, "narrow")
    check("rebind-v4-loopback", "127.0.0.1", rebind, "ConnectionRefusedError")
    check("rebind-own-address", OWN4, rebind, "narrow")
    check("port0-v4-loopback", "127.0.0.1", port0, "port0")
    check("port0-own-address", OWN4, port0, "port0")
    for addr in ("127.0.0.1", OWN4, "::1", OWN6):
        fam = A6 if ":" in addr else A4
        with socket.socket(fam, socket.SOCK_DGRAM) as c:
            c.settimeout(5)
            try:
                c.sendto(b"x", (addr, udp))
                got = c.recv(64).decode().strip()
            except OSError as e:
                got = type(e).__name__
        print(f"{'OK' if got == 'udp' else 'FAIL'} udp: {addr}:{udp} "
              f"gave {got}", flush=True)
    check("twice-v4-loopback", "127.0.0.1", twice, "twice")
    check("twice-own-address", OWN4, twice, "twice")
    check("twice-own-v6", OWN6, twice, "twice")
    open(os.path.join(d, "cases-up"), "w").close()
    for _ in range(300):
        if os.path.exists(os.path.join(d, "cases-host-done")):
            break
        time.sleep(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("END", flush=True)


if __name__ == "__main__":
    main()
