#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# nsagent-tap-check.py - drive nsbypass-nsagent the way the agent does, from
# inside a rootless netns (run it under "unshare -r -n"), and check what it
# did.  Used by test-nsagent-tap.sh.
#
#   nsagent-tap-check.py NSAGENT tap      --tap tap0 ..., full checks
#   nsagent-tap-check.py NSAGENT plain    no --tap: a report first
#   nsagent-tap-check.py NSAGENT fail ARGS...  set-up fails: exit 1, one
#                                         stderr line, no message, no tap
#
# Prints one "OK ..." or "FAIL: ..." line per check; exits 0 only if every
# check passed.
import fcntl
import os
import re
import socket
import struct
import subprocess
import sys

TUNGETIFF = 0x800454D2  # _IOR('T', 210, unsigned int)
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
failed = 0


def ok(msg):
    print("OK " + msg, flush=True)


def fail(msg):
    global failed
    failed += 1
    print("FAIL: " + msg, flush=True)


def check(cond, msg):
    if cond:
        ok(msg)
    else:
        fail(msg)
    return cond


def sh(*argv):
    return subprocess.run(argv, capture_output=True, text=True,
                          check=True).stdout


def start(nsagent, args, stderr=None):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    p = subprocess.Popen([nsagent, "--report-fd", str(b.fileno())] + args,
                         pass_fds=[b.fileno()], stderr=stderr)
    b.close()
    a.settimeout(10)
    return a, p


def recv(a):
    msg, fds, _flags, _addr = socket.recv_fds(a, 65536, 16)
    return msg, fds


def stop(a, p):
    a.close()
    try:
        rc = p.wait(timeout=2)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        fail("nsagent still runs 2 s after the agent's end closed")
        return
    check(rc == 0, "nsagent exits (status %d) once the agent's end closes"
          % rc)


def report(msg, word, want=None):
    words = msg.decode(errors="replace").split()
    check(msg.endswith(b"\n") and words[:1] == [word] and
          (want is None or want in words),
          "%s report %r%s" % (word, msg, " names " + want if want else ""))


def subnet_report(a, want_addr=None, want_subnet=None):
    """A report: the "subnets" message, then the "addrs" one, no fds."""
    for word, want in (("subnets", want_subnet), ("addrs", want_addr)):
        msg, fds = recv(a)
        check(not fds, "the %s report carries no fd" % word)
        for fd in fds:
            os.close(fd)
        report(msg, word, want)


def nsagent_holds_tun(pid):
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, fd)) == "/dev/net/tun":
                return True
        except OSError:
            pass
    return False


def run_tap(nsagent):
    a, p = start(nsagent, ["--tap", "tap0", "--mtu", "65520",
                           "--address", "10.0.2.100/24",
                           "--gateway", "10.0.2.2"])
    msg, fds = recv(a)
    if not check(msg == b"tap tap0\n" and len(fds) == 1,
                 "first message is 'tap tap0' with one fd (got %r, %d fds)"
                 % (msg, len(fds))):
        for fd in fds:
            os.close(fd)
        stop(a, p)
        return
    tap = fds[0]
    ifr = fcntl.ioctl(tap, TUNGETIFF, bytes(40))
    name = ifr[:16].split(b"\0", 1)[0].decode()
    flags = struct.unpack("=H", ifr[16:18])[0]
    check(name == "tap0" and flags & IFF_TAP and flags & IFF_NO_PI,
          "TUNGETIFF: %s, flags %#x (IFF_TAP|IFF_NO_PI)" % (name, flags))

    # The next messages: the first report, with the tap's address and
    # subnet.
    subnet_report(a, "10.0.2.100", "10.0.2.0/24")
    check(not nsagent_holds_tun(p.pid), "nsagent closed its copy of the tap")

    addrs = sh("ip", "-o", "addr", "show", "dev", "tap0")
    check(" 10.0.2.100/24 " in addrs, "tap0 has 10.0.2.100/24")
    link = sh("ip", "-o", "link", "show", "dev", "tap0")
    check(" mtu 65520 " in link, "tap0 has mtu 65520")
    m = re.search(r"<([^>]*)>.* state (\S+)", link)
    check(m is not None and "UP" in m.group(1).split(",") and
          m.group(2) in ("UP", "UNKNOWN", "LOWERLAYERDOWN"),
          "tap0 is up: %s" % (m.group(0) if m else link.strip()))
    routes = sh("ip", "route")
    check(re.search(r"^default via 10\.0\.2\.2 dev tap0\b", routes, re.M),
          "default via 10.0.2.2 dev tap0")
    lo = sh("ip", "-o", "link", "show", "dev", "lo")
    m = re.search(r"<([^>]*)>", lo)
    check(m is not None and "UP" in m.group(1).split(","), "lo is up")
    os.close(tap)
    stop(a, p)


def run_plain(nsagent):
    a, p = start(nsagent, [])
    # lo is down here (nsbypass run brings it up, nsagent only with --tap):
    # the subnets, then an empty address report, no fd with either.
    subnet_report(a)
    check(subprocess.run(["ip", "link", "show", "dev", "tap0"],
                         capture_output=True).returncode != 0,
          "without --tap, there is no tap0")
    stop(a, p)


def run_fail(nsagent, args):
    a, p = start(nsagent, args, stderr=subprocess.PIPE)
    msg, fds = recv(a)
    for fd in fds:
        os.close(fd)
    check(msg == b"" and not fds, "no message before the hang-up (got %r, "
          "%d fds)" % (msg, len(fds)))
    try:
        _, err = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        fail("nsagent did not exit after the failed set-up")
        return
    lines = err.decode(errors="replace").splitlines()
    check(p.returncode == 1 and len(lines) == 1 and
          lines[0].startswith("nsbypass-nsagent: "),
          "exit status %d, stderr %r" % (p.returncode, lines))
    check(subprocess.run(["ip", "link", "show", "dev", "tap0"],
                         capture_output=True).returncode != 0,
          "the tap is gone with nsagent")
    a.close()


def main():
    nsagent, mode = sys.argv[1], sys.argv[2]
    if mode == "tap":
        run_tap(nsagent)
    elif mode == "plain":
        run_plain(nsagent)
    elif mode == "fail":
        run_fail(nsagent, sys.argv[3:])
    else:
        sys.exit("unknown mode " + mode)
    if failed:
        print("FAIL: %d check(s)" % failed)
        sys.exit(1)
    print("OK all checks of " + mode)


main()
