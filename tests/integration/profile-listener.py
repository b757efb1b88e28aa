#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""profile-listener.py - a minimal listenerPath agent for test-profile.sh.

    profile-listener.py SOCKET LOG

Listens on the unix socket SOCKET (as the runtime's listenerPath), and
for each connection reads the container process state to EOF with the
fds passed by SCM_RIGHTS, and logs one line
    STATE nfds=N fdtypes=T1,T2 json=<the state, compact>
Then, for the fd named "seccompFd" in the state's "fds", it answers every
notification with CONTINUE (SECCOMP_USER_NOTIF_FLAG_CONTINUE), logging
    NOTIF nr=NR arch=ARCH a0=.. a1=.. a2=..
so the container runs as without the filter, and the test sees which calls
were notified.  Runs until killed.  Not an agent: nothing is bypassed.
"""
import array
import fcntl
import json
import os
import select
import socket
import stat
import struct
import sys
import threading

# struct seccomp_notif (80 bytes) and seccomp_notif_resp (24 bytes).
NOTIF = struct.Struct("=QIIiIQ6Q")
RESP = struct.Struct("=QqiI")
IOC_RECV = (3 << 30) | (NOTIF.size << 16) | (ord("!") << 8) | 0
IOC_SEND = (3 << 30) | (RESP.size << 16) | (ord("!") << 8) | 1
FLAG_CONTINUE = 1
MAX_STATE = 1 << 20

log_lock = threading.Lock()


def log(f, line):
    with log_lock:
        f.write(line + "\n")
        f.flush()


def serve_notify(fd, f):
    """CONTINUE every notification of fd until its filter has no task."""
    p = select.poll()
    p.register(fd, select.POLLIN)
    try:
        while True:
            ev = p.poll(60000)
            if not ev:
                continue
            if ev[0][1] & (select.POLLHUP | select.POLLERR) and \
               not ev[0][1] & select.POLLIN:
                break
            buf = bytearray(NOTIF.size)
            try:
                fcntl.ioctl(fd, IOC_RECV, buf, True)
            except OSError:
                continue
            nid, pid, _flags, nr, arch, _ip, a0, a1, a2, _a3, _a4, _a5 = \
                NOTIF.unpack(buf)
            log(f, "NOTIF nr=%d arch=%#x a0=%d a1=%d a2=%d pid=%d"
                % (nr, arch, a0, a1, a2, pid))
            resp = bytearray(RESP.pack(nid, 0, 0, FLAG_CONTINUE))
            try:
                fcntl.ioctl(fd, IOC_SEND, resp, True)
            except OSError as e:
                log(f, "SEND-ERROR %s" % e.strerror)
    finally:
        os.close(fd)
        log(f, "HUP")


def handle(conn, f):
    data, fds = b"", []
    with conn:
        while len(data) <= MAX_STATE:
            msg, anc, _flags, _addr = conn.recvmsg(
                65536, socket.CMSG_SPACE(16 * 4))
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    a = array.array("i")
                    a.frombytes(cdata[:len(cdata) - len(cdata) % a.itemsize])
                    fds.extend(a)
            if not msg:
                break
            data += msg
    types = []
    for fd in fds:
        try:
            target = os.readlink("/proc/self/fd/%d" % fd)
        except OSError:
            target = "?"
        types.append("seccomp" if "seccomp" in target else
                     "socket" if stat.S_ISSOCK(os.fstat(fd).st_mode) else
                     "other")
    try:
        state = json.loads(data)
        text = json.dumps(state, separators=(",", ":"))
    except ValueError:
        state, text = None, "INVALID"
    log(f, "STATE nfds=%d fdtypes=%s json=%s"
        % (len(fds), ",".join(types), text))
    names = state.get("fds", []) if isinstance(state, dict) else []
    for i, fd in enumerate(fds):
        if i < len(names) and names[i] == "seccompFd":
            threading.Thread(target=serve_notify, args=(fd, f),
                             daemon=True).start()
        else:
            os.close(fd)


def main():
    path, logpath = sys.argv[1], sys.argv[2]
    f = open(logpath, "a")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, 0o600)
    s.listen(16)
    log(f, "LISTENING")
    while True:
        conn, _ = s.accept()
        handle(conn, f)


if __name__ == "__main__":
    main()
