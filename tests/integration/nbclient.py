# SPDX-License-Identifier: Apache-2.0
"""nbclient.py - what the python clients of the integration tests share.

Imported by client-sockopts.py and wildcard-bind.py from the folder they
run from (nb_stage both with it).
"""
import socket
import sys


def fail(msg):
    """Print "FAIL MSG" as the last line and exit 1."""
    print("FAIL " + msg, flush=True)
    sys.exit(1)


def echo(s, kind):
    """One ping through connected socket S to an echo-server.py."""
    s.settimeout(5)
    if kind == socket.SOCK_STREAM:
        s.sendall(b"ping\n")
    else:
        s.send(b"ping")
    return s.recv(16).startswith(b"ping")
