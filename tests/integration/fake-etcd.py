#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""fake-etcd.py ADDR PORT LOG: just enough of etcd's v3 JSON gateway to
put nsbypass's cluster client in one awkward spot on purpose: the first
lease is lost while the first read of the map is still under way.

The first /v3/kv/range answers after 2.5 s; every keepalive of the first
lease says it is gone (no TTL); later leases live.  Watches are held open
after their "created" line.  LOG gets one line per request ("grant 100",
"range", "put KEY lease N", "watch open N" with the number of watches
open at once, "watch closed N", ...), flushed at once."""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

addr, port, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
state = {"lease": 99, "ranges": 0, "watches": 0, "rev": 5}
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
            res = {"header": self.header(), "ID": str(lease)}
            if lease != 100:
                res["TTL"] = "3"
            say("keepalive %d%s" % (lease, "" if "TTL" in res else " gone"))
            self.answer({"result": res}, stream=True)
            self.chunk(b"")
        elif path == "/v3/kv/range":
            with lock:
                state["ranges"] += 1
                first = state["ranges"] == 1
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
            with lock:
                state["rev"] += 1
            key = base64.b64decode(req.get("key", "")).decode()
            say("put %s lease %s" % (key, req.get("lease", "0")))
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
                    time.sleep(0.5)
                    self.chunk(b"\n")  # a keep-alive byte: a gone client shows
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
