#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of tools/vmmerge-place through a real Prometheus (Debian's
# prometheus package) on loopback:
#
#   microVMs py-0, py-1 (same pages), node-0 ── vmmerged :9873 ──┐
#   host-b :9901  the agent's scrape, python3.11 shareable x 2   ├─ prometheus
#   host-c :9902  the agent's scrape, x 4 but hint_allowed 0     ┘   :9090
#
# host-b and host-c are static copies of the agent's own /metrics (served by
# a small HTTP server), edited as shown, taken once the module's estimate is
# frozen, so all three targets are consistent.  Checks:
# 1. Prometheus scrapes all three targets (up == 1)
# 2. vmmerge-place ranks host-b, agent, host-c for python3.11/tenant-a
# 3. the agent's row carries what `vmmergectl hints --json` says: the best
#    allowed scope's pages x page size, and its share ratio
# 4. host-c gets no sharing credit (the trust policy) and the reason says so
# 5. a VM of another domain (tenant-b) gets no credit anywhere
# 6. --json is valid and exit status 0; an unreachable server gives exit 2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/place-lib.sh"

PORT=9873
MEM=128
STACK=python3.11
FAKE_PID=

write_config() {
	cat >"$CONF" <<EOF
[agent]
listen = 127.0.0.1:$PORT
vmm = qemu-system-*
sources = proc
default_stack = unclassified
default_domain = tenant-a
rescan_interval = 2

[domain tenant-a]
isolated = no

[rule python]
cmdline = -name py-[0-9]+
stack = $STACK

[rule node]
cmdline = -name node-[0-9]+
stack = node20
EOF
}

# fake_hosts: host-b and host-c from one scrape of the agent.
fake_hosts() {
	mkdir -p "$PROMDIR"
	curl -sf "http://127.0.0.1:$PORT/metrics" >"$PROMDIR/agent.txt" || return 1
	/usr/bin/python3 - "$PROMDIR" "$STACK" <<'EOF'
import re, sys
d, stack = sys.argv[1], sys.argv[2]
text = open(d + '/agent.txt').read().splitlines()
def edit(factor, allowed):
    out = []
    for l in text:
        m = re.match(r'(vmmerge_hint_(shareable_bytes|allowed)\{stack="' +
                     re.escape(stack) + r'"[^}]*\}) (\S+)$', l)
        if m and m.group(2) == 'shareable_bytes':
            l = '%s %d' % (m.group(1), int(float(m.group(3)) * factor))
        elif m and allowed is not None:
            l = '%s %d' % (m.group(1), allowed)
        out.append(l)
    return '\n'.join(out) + '\n'
open(d + '/b.txt', 'w').write(edit(2, None))
open(d + '/c.txt', 'w').write(edit(4, 0))
EOF
}

# serve_fakes: one process serving b.txt on 9901 and c.txt on 9902.
serve_fakes() {
	/usr/bin/python3 - "$PROMDIR" <<'EOF' &
import http.server, sys, threading
d = sys.argv[1]
def handler(name):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = open(d + '/' + name, 'rb').read()
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain; version=0.0.4')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a):
            pass
    return H
servers = [http.server.HTTPServer(('127.0.0.1', p), handler(n))
           for p, n in ((9901, 'b.txt'), (9902, 'c.txt'))]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
EOF
	FAKE_PID=$!
}

cleanup() { place_stop $PROM_PID $FAKE_PID $AGENT_PID; }

hint_ready() {
	"$CTL" hints --stack "$STACK" --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
h = json.load(sys.stdin)[0]
sys.exit(0 if any(s["allowed"] and s["matched"] > 0 for s in h["scopes"]) else 1)'
}

# place_sees_all: vmmerge-place lists the three targets with hints.
place_sees_all() {
	"$PLACE" --stack "$STACK" --domain tenant-a --json >/tmp/place.json 2>/tmp/place.err &&
		/usr/bin/python3 -c '
import json, sys
d = json.load(open("/tmp/place.json"))
sys.exit(0 if len(d["hosts"]) == 3 and all(h["scope"] or h["reason"] != "no VM of the stack in this domain" for h in d["hosts"]) else 1)'
}

place_agent_start "$PORT"
microvm_start 2 --name py- --mem "$MEM" || die "python microVMs did not start"
microvm_start 1 --name node- --mem "$MEM" || die "node microVM did not start"
microvm_cmd 0 "fill pages 30 11" 120 >/dev/null
microvm_cmd 1 "fill pages 30 11" 120 >/dev/null
microvm_cmd 2 "fill pages 30 23" 120 >/dev/null
check hints-ready wait_until 300 hint_ready
# Freeze the estimate: every scrape from now on serves the same hints.
sleep 2
knob estimate_interval_ms 600000
sleep 2
"$CTL" hints --stack "$STACK" --json >/tmp/hints.json || die "vmmergectl hints failed"
log "hints: $(tr -d '\n ' </tmp/hints.json)"
fake_hosts || die "cannot scrape the agent"
serve_fakes
place_prom_start "127.0.0.1:$PORT" 127.0.0.1:9901 127.0.0.1:9902
export PLACE_URL=http://127.0.0.1:9090
check place-sees-all wait_until 60 place_sees_all
cat /tmp/place.json >&2
"$PLACE" --stack "$STACK" --domain tenant-a >&2 || :

# ---- ranking and figures against the agent's own hints
res=$(/usr/bin/python3 - /tmp/place.json /tmp/hints.json "$(getconf PAGESIZE)" "$PORT" <<'EOF'
import json, sys
place = json.load(open(sys.argv[1]))
hint = json.load(open(sys.argv[2]))[0]
page, port = int(sys.argv[3]), sys.argv[4]
agent = '127.0.0.1:' + port
allowed = [s for s in hint['scopes'] if s['allowed']]
best = max(allowed, key=lambda s: s['pages'])
rows = {h['host']: h for h in place['hosts']}
order = [h['host'] for h in place['hosts']]
a = rows.get(agent, {})
checks = {
    'place-order': order == ['127.0.0.1:9901', agent, '127.0.0.1:9902'],
    'place-agent-bytes': a.get('shareable_bytes') == best['pages'] * page,
    'place-agent-ratio': abs(a.get('share_ratio', -1) - best['permille'] / 1000) < 1e-9,
    'place-double': rows.get('127.0.0.1:9901', {}).get('shareable_bytes') in
                    (2 * best['pages'] * page, 2 * best['pages'] * page - 1),
    'place-policy-no-credit': rows.get('127.0.0.1:9902', {}).get('shareable_bytes') == 0
                              and 'trust policy' in rows['127.0.0.1:9902']['reason'],
}
for k, v in checks.items():
    print(k, 'ok' if v else 'FAIL order=%s agent=%s best=%s' % (order, a, best))
EOF
)
while read -r name verdict; do
	[ "$verdict" = ok ] && pass "$name" || fail "$name" "$verdict"
done <<<"$res"

# ---- another domain gets no credit; errors
if "$PLACE" --prometheus "$PLACE_URL" --stack "$STACK" --domain tenant-b --json |
	/usr/bin/python3 -c 'import json, sys; sys.exit(any(h["shareable_bytes"] for h in json.load(sys.stdin)["hosts"]))'; then
	pass place-other-domain
else
	fail place-other-domain "credit given to tenant-b"
fi
rc=0
"$PLACE" --prometheus http://127.0.0.1:9 --stack "$STACK" 2>/tmp/place.err || rc=$?
[ "$rc" = 2 ] && grep -q 'cannot reach' /tmp/place.err && pass place-unreachable ||
	fail place-unreachable "exit $rc: $(cat /tmp/place.err)"
