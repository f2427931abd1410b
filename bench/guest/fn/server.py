# SPDX-License-Identifier: GPL-2.0
# vmmerge benchmark function server, python3 stack (runs inside the guest).
#   GET /hello?name=X   small HTTP handler: JSON greeting
#   GET /prime?n=N      CPU-bound: count primes below N by trial division
#   GET /fill?mb=M      data-heavy: keep M MiB of unique random bytes alive
#   SIGUSR2             an invocation without a client (`fn poke`): the
#                       prime handler with n from /tmp/fn-poke-n, its reply
#                       kept among the last 16, the count in /tmp/fn-poked
import json, os, signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs

HEAP = []
REPLIES = []
POKED = 0

def primes(n):
    count = 0
    for k in range(2, n):
        d = 2
        while d * d <= k:
            if k % d == 0:
                break
            d += 1
        else:
            count += 1
    return count

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path == "/hello":
            body = {"greeting": "hello " + q.get("name", "world"), "runtime": "python"}
        elif u.path == "/prime":
            n = int(q.get("n", "10000"))
            body = {"n": n, "primes": primes(n)}
        elif u.path == "/fill":
            mb = int(q.get("mb", "16"))
            for _ in range(mb):
                HEAP.append(os.urandom(1 << 20))
            body = {"heap_mb": len(HEAP)}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

if sys.argv[1:2] == ["call"]:
    # The client side of the loopback request (busybox wget is not usable
    # in the guest), in the same runtime.
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=900)
    c.request("GET", sys.argv[2])
    r = c.getresponse()
    sys.stdout.write(r.read().decode())
    sys.exit(0 if r.status == 200 else 1)

def poke(signum, frame):
    # One invocation as the /prime handler serves it, with no client
    # process: under nested virtualization in TCG a client's start costs
    # seconds, which a real host does not pay.
    global POKED
    try:
        n = int(open("/tmp/fn-poke-n").read())
    except (OSError, ValueError):
        n = 2000
    REPLIES.append(json.dumps({"n": n, "primes": primes(n), "seq": POKED}).encode())
    del REPLIES[:-16]
    POKED += 1
    with open("/tmp/fn-poked.tmp", "w") as f:
        f.write(str(POKED))
    os.rename("/tmp/fn-poked.tmp", "/tmp/fn-poked")

signal.signal(signal.SIGUSR2, poke)
srv = HTTPServer(("127.0.0.1", 8080), Handler)
with open("/tmp/fn-ready", "w") as f:
    f.write(str(os.getpid()))
srv.serve_forever()
