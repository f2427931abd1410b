#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test of tools/vmmerge-place through a real Prometheus (Debian's
# prometheus package) scraping the agents of two real hosts:
#
#   host A: the test VM                     host B: a nested host (nested-host.sh:
#     microVMs py-0   python3.11 / tenant-a   a KVM microVM booting the test VM's
#              node-0  node20 / tenant-b       kernel with its root over 9p)
#                                             fake VMMs (tests/vm/place-host)
#     cross_domain 1: both merge here           py-b0    python3.11 / tenant-a
#                                               node-b0  node20 / tenant-b,
#                                                        isolated on B
#                                             each bigger than A's microVMs
#     vmmerged 127.0.0.1:9873 ──┐            vmmerged 0.0.0.0:9873
#     127.0.0.1:9874 ──hostfwd──┼──────────> (QEMU user network)
#                               └─ prometheus 127.0.0.1:9090
#
# Both agents' estimates are frozen before Prometheus starts, so every
# scrape serves the hints read with `vmmergectl hints --json` (B's through
# its console). Checks:
# 1. Prometheus scrapes both agents (up == 1)
# 2. python3.11 / tenant-a: B ranks before A (B's VMs are bigger, so its
#    hint is); each host's row carries its own hints: the best allowed
#    scope's pages x page size, and its share ratio
# 3. node20 / tenant-b: A ranks before B although B's hint is the bigger:
#    tenant-b is isolated on B, which gets no credit, and the reason says so
# 4. a domain neither host has (tenant-c) gets no credit anywhere
# 5. --json is valid and exit status 0; an unreachable server gives exit 2
# 6. host B's kernel log is clean
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/place-lib.sh"
. "$(dirname "$0")/nested-host.sh"

HOSTB=$VMT_REPO/tests/vm/place-host
PORT=9873
PORT_B=9874
HOST_A=127.0.0.1:$PORT
HOST_B=127.0.0.1:$PORT_B
MEM=128
# B's fake VMMs: every page present and shared, more than all of a MEM MiB
# microVM, so B's hint for a stack is bigger than A's.
MEM_B=136

write_config() {
	cat >"$CONF" <<EOF
[agent]
listen = $HOST_A
vmm = qemu-system-*
sources = proc
default_stack = unclassified
default_domain = tenant-a
rescan_interval = 2
# Not host B's own VMM (no rule, 512 MiB): only the rules' exact sizes.
min_guest_mib = 1024

[domain tenant-a]
isolated = no

[domain tenant-b]
isolated = no

[rule python]
cmdline = -name py-[0-9]+
stack = python3.11
mem_mib = $MEM

[rule node]
cmdline = -name node-[0-9]+
stack = node20
domain = tenant-b
mem_mib = $MEM
EOF
}

cleanup() {
	place_stop $PROM_PID $AGENT_PID
	if [ -n "$NH_VM" ] && [ "$VMT_FAILED" != 0 ]; then
		log "host B agent log:"
		nested_host_cmd "$HOSTB log" 30 2>&1 | sed 's/^/  vmmerged-b| /' >&2
	fi
}

# sampled: every VM sampled completely at least once (then a stack's hint
# has its final share ratio).
sampled() {
	"$CTL" vms --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)
sys.exit(0 if v and all(0 < x["estimate"]["pages"] <= x["estimate"]["samples"] for x in v) else 1)'
}

# hinted STACK: A's hint for STACK has an allowed scope with matches.
hinted() {
	"$CTL" hints --stack "$1" --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
h = json.load(sys.stdin)[0]
sys.exit(0 if any(s["allowed"] and s["matched"] > 0 for s in h["scopes"]) else 1)'
}

hints_ready() { sampled && hinted python3.11 && hinted node20; }

# place STACK DOMAIN: vmmerge-place's JSON in /tmp/place-STACK.json.
place() {
	"$PLACE" --stack "$1" --domain "$2" --json >"/tmp/place-$1.json" 2>/tmp/place.err
}

# place_sees_both: both hosts ranked, each with its python3.11 series.
place_sees_both() {
	place python3.11 tenant-a && /usr/bin/python3 -c '
import json, sys
d = json.load(open("/tmp/place-python3.11.json"))
sys.exit(0 if len(d["hosts"]) == 2 and all(h["scope"] for h in d["hosts"]) else 1)'
}

# save_hints: freeze both hosts' estimates (every scrape from now on
# serves the same hints) and save their hints, /tmp/hints-{a,b}-STACK.json.
save_hints() {
	local s
	knob estimate_interval_ms 600000
	nested_host_cmd "$HOSTB freeze" 120 >/tmp/hints-b.json || return 1
	sleep 2
	/usr/bin/python3 -c '
import json, sys
for s, h in json.load(open("/tmp/hints-b.json")).items():
    json.dump(h, open("/tmp/hints-b-%s.json" % s, "w"))' || return 1
	for s in python3.11 node20; do
		"$CTL" hints --stack "$s" --json >"/tmp/hints-a-$s.json" || return 1
		log "hints $s: A $(tr -d '\n ' <"/tmp/hints-a-$s.json") B $(tr -d '\n ' <"/tmp/hints-b-$s.json")"
	done
}

# report: each check's verdict (see the header) as "NAME ok|FAIL why".
report() {
	/usr/bin/python3 - "$(getconf PAGESIZE)" "$HOST_A" "$HOST_B" <<'EOF'
import json, sys
page, A, B = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def load(name):
    return json.load(open('/tmp/' + name + '.json'))

def credit(hint):
    """Bytes and ratio of the best scope the trust policy allows."""
    ok = [s for s in hint['scopes'] if s['allowed']]
    best = max(ok, key=lambda s: s['pages'], default=None)
    return (best['pages'] * page, best['permille'] / 1000) if best else (0, 0.0)

def rows(stack):
    p = load('place-' + stack)
    return [h['host'] for h in p['hosts']], {h['host']: h for h in p['hosts']}

out = []
def verdict(name, good, why):
    out.append('%s %s' % (name, 'ok' if good else 'FAIL ' + why))

def agrees(stack, host, hint):
    b, r = credit(hint)
    row = rows(stack)[1].get(host, {})
    return (row.get('shareable_bytes') == b and
            abs(row.get('share_ratio', -1) - r) < 1e-9), (b, r, row)

hint = {(h, s): load('hints-%s-%s' % (h.lower(), s))[0]
        for h in 'AB' for s in ('python3.11', 'node20')}

order, _ = rows('python3.11')
a, b = credit(hint['A', 'python3.11'])[0], credit(hint['B', 'python3.11'])[0]
verdict('place-python-order', order == [B, A] and b > a,
        'order %s, credit A %d B %d' % (order, a, b))
for h, n in ((A, 'A'), (B, 'B')):
    good, why = agrees('python3.11', h, hint[n, 'python3.11'])
    verdict('place-python-host-' + n, good,
            'hint (bytes, ratio) %s, row %s' % (why[:2], why[2]))

order, row = rows('node20')
good, why = agrees('node20', A, hint['A', 'node20'])
verdict('place-node-host-A', good, 'hint (bytes, ratio) %s, row %s' % (why[:2], why[2]))
b_pages = max(s['pages'] for s in hint['B', 'node20']['scopes']) * page
b_scopes = hint['B', 'node20']['scopes']
verdict('place-node-isolated-on-B',
        order == [A, B] and row[B]['shareable_bytes'] == 0 and
        row[B]['reason'] == 'domain tenant-b is isolated' and
        b_pages > credit(hint['A', 'node20'])[0] and
        all(not s['allowed'] and s['reason'] == 'domain is isolated' for s in b_scopes),
        'order %s, B row %s, B hint %s, A credit %d' %
        (order, row.get(B), b_scopes, credit(hint['A', 'node20'])[0]))
print('\n'.join(out))
EOF
}

# verdicts: pass or fail each line of report.
verdicts() {
	local name verdict
	while read -r name verdict; do
		[ "$verdict" = ok ] && pass "$name" || fail "$name" "$verdict"
	done
}

place_agent_start "$PORT"
knob cross_domain 1

# Host B first: its scanner samples while A's microVMs boot.
nested_host_start "$PORT_B" "$PORT" --mem 512 --timeout 400 || die "host B did not start"
log "host B up at $SECONDS s"
nested_host_cmd "$HOSTB start $PORT $MEM_B $MEM_B" 300 >&2 || die "host B's agent did not start"
log "host B's VMs and agent up at $SECONDS s"
microvm_start 1 --name py- --mem "$MEM" || die "python microVM did not start"
microvm_start 1 --name node- --mem "$MEM" || die "node microVM did not start"
microvm_cmd $((NH_VM + 1)) "fill pages 30 11" 120 >/dev/null
microvm_cmd $((NH_VM + 2)) "fill pages 30 23" 120 >/dev/null
check hints-ready-A wait_until 300 hints_ready
check hints-ready-B nested_host_cmd "$HOSTB wait 300" 320 >&2
log "both hosts' hints ready at $SECONDS s"
save_hints || die "cannot read the hints"
place_prom_start "$HOST_A" "$HOST_B"
log "Prometheus scraping both at $SECONDS s"
check place-sees-both wait_until 60 place_sees_both
check place-node20 place node20 tenant-b
for s in python3.11 node20; do
	cat "/tmp/place-$s.json" >&2
done
"$PLACE" --stack python3.11 --domain tenant-a >&2 || :
"$PLACE" --stack node20 --domain tenant-b >&2 || :
res=$(report)
verdicts <<<"$res"
check host-b-kernel-log nested_host_cmd "$HOSTB klog" >&2

# ---- a domain no host has gets no credit; errors
if "$PLACE" --stack python3.11 --domain tenant-c --json |
	/usr/bin/python3 -c 'import json, sys; sys.exit(any(h["shareable_bytes"] for h in json.load(sys.stdin)["hosts"]))'; then
	pass place-other-domain
else
	fail place-other-domain "credit given to tenant-c"
fi
rc=0
"$PLACE" --prometheus http://127.0.0.1:9 --stack python3.11 2>/tmp/place.err || rc=$?
[ "$rc" = 2 ] && grep -q 'cannot reach' /tmp/place.err && pass place-unreachable ||
	fail place-unreachable "exit $rc: $(cat /tmp/place.err)"
