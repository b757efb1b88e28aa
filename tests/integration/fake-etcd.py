#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""fake-etcd.py ADDR PORT LOG [SCENARIO]: just enough of etcd's v3 JSON
gateway to put nsbypass's cluster client in one awkward spot on purpose.

SCENARIO lease-during-read (the default): the first lease is lost while
the first read of the map is still under way.  The first /v3/kv/range
answers after 2.5 s; every keepalive of the first lease says it is gone
(no TTL); later leases live.

SCENARIO plain: every request answered as etcd would; every lease
lives.

SCENARIO write-lost: writes that do not get through while the lease
lives.  The first /v3/kv/put is never answered, and neither is any
keepalive for the 3 s after it came (a member gone silent: the client
gives up on it by the keepalive's timeout, with the write still under
way); the next three puts get an error answer (HTTP 503, as etcd's
space quota would), logged with the seconds since the fake started
("put KEY lease N refused at 4.21"); later ones go through.  Every
lease lives.

Watches are held open after their "created" line.  LOG gets one line per
request ("grant 100", "range", "put KEY lease N", "watch open N" with
the number of watches open at once, "watch closed N", ...), flushed at
once."""
import base64
import json
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

addr, port, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
scenario = sys.argv[4] if len(sys.argv) > 4 else "lease-during-read"
if scenario not in ("lease-during-read", "write-lost", "plain"):
    sys.exit("fake-etcd.py: no scenario %r" % scenario)
lock = threading.Lock()
start = time.monotonic()
state = {"lease": 99, "ranges": 0, "watches": 0, "rev": 5, "puts": 0,
         "silent_until": 0.0}
log = open(log_path, "a", buffering=1)


def say(line):
    with lock:
        log.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(n) or b"{}")

    def answer(self, obj, stream=False):
        text = (json.dumps(obj) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if stream:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(text)
        else:
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def silent(self, what):
        """write-lost: no answer while the member is silent (the client
        hangs up meanwhile: then nothing more is sent)."""
        if time.monotonic() >= state["silent_until"]:
            return False
        say("%s unanswered" % what)
        time.sleep(max(0.0, state["silent_until"] - time.monotonic()) + 0.5)
        self.close_connection = True
        return True

    def header(self):
        return {"cluster_id": "1", "member_id": "1", "revision": str(state["rev"]),
                "raft_term": "2"}

    def do_POST(self):
        req = self.body()
        path = self.path
        if path == "/v3/lease/grant":
            with lock:
                state["lease"] += 1
                lease = state["lease"]
            say("grant %d" % lease)
            self.answer({"header": self.header(), "ID": str(lease), "TTL": req.get("TTL", "3")})
        elif path == "/v3/lease/keepalive":
            lease = int(req.get("ID", "0"))
            if self.silent("keepalive %d" % lease):
                return
            res = {"header": self.header(), "ID": str(lease)}
            if lease != 100 or scenario != "lease-during-read":
                res["TTL"] = "3"
            say("keepalive %d%s" % (lease, "" if "TTL" in res else " gone"))
            self.answer({"result": res}, stream=True)
            self.chunk(b"")
        elif path == "/v3/kv/range":
            with lock:
                state["ranges"] += 1
                first = state["ranges"] == 1 and scenario == "lease-during-read"
            say("range%s" % (" (slow)" if first else ""))
            if first:
                time.sleep(2.5)
            try:
                self.answer({"header": self.header(), "count": "0"})
            except OSError:
                pass
            if first:
                say("slow range answered")
        elif path == "/v3/kv/put":
            key = base64.b64decode(req.get("key", "")).decode()
            what = "put %s lease %s" % (key, req.get("lease", "0"))
            with lock:
                state["puts"] += 1
                n = state["puts"] if scenario == "write-lost" else 0
                if n == 1:
                    state["silent_until"] = time.monotonic() + 3.0
                elif not 2 <= n <= 4:
                    state["rev"] += 1
            if n == 1:
                self.silent(what)
            elif 2 <= n <= 4:
                say("%s refused at %.2f" % (what, time.monotonic() - start))
                self.send_error(503)
            else:
                say(what)
                self.answer({"header": self.header()})
        elif path == "/v3/kv/deleterange":
            say("delete")
            self.answer({"header": self.header()})
        elif path == "/v3/watch":
            with lock:
                state["watches"] += 1
                n = state["watches"]
            say("watch open %d" % n)
            try:
                self.answer({"result": {"header": self.header(), "created": True}},
                            stream=True)
                while True:
                    # A client that hangs up shows at once (its FIN), not
                    # only at the next keep-alive byte.
                    r, _, _ = select.select([self.connection], [], [], 0.5)
                    if r and not self.connection.recv(1, socket.MSG_PEEK):
                        break
                    self.chunk(b"\n")
            except OSError:
                pass
            with lock:
                state["watches"] -= 1
                n = state["watches"]
            say("watch closed %d" % n)
        else:
            self.send_error(404)


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer((addr, port), Handler).serve_forever()
