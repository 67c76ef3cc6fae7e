#!/bin/bash
# What a newcomer hit: n1's Redis left in protected mode (no password, Redis's default), so n2's
# Redis cannot replicate from it. Redis says only "master_link_status:down"; the cause is in n1's
# answer to anyone from another host (DENIED, then a close that usually resets the connection
# before the DENIED arrives). n2 stays out of the election (FAULT, its Redis holds no data of the
# master's history), and `redvipctl status` on n2 names the cause, so the operator knows what to
# change. Once n1's Redis leaves protected mode, n2 syncs and is eligible.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rpm
topo_host n1 10.77.0.1
topo_host n2 10.77.0.2
redis_start n1 --protected-mode yes --bind '* -::*'
redis_start n2
start_redvipd n1 "$(redis_node_conf n1 150)"
start_redvipd n2 "$(redis_node_conf n2 100)"
wait_until 10 only_holder n1 n1 n2 || fail "n1 did not become the only VIP holder: '$(vip_holders $VIP n1 n2)'"
denied() { ctl n2 status | grep -qE "DENIED|protected mode\?"; }
wait_until 10 denied || fail "n2's status does not name protected mode: $(ctl n2 status | tr '\n' ' ')"
[[ "$(state_of n2)" == FAULT ]] || fail "n2 is $(state_of n2), not FAULT, while its Redis cannot sync"
echo "  n2 status: $(ctl n2 status | grep -o 'master link down ([^)]*' | head -1 | cut -c1-120)..."
pass "n2 stays FAULT and its status names the cause (protected mode on n1)"

rcli n1 CONFIG SET protected-mode no >/dev/null
wait_until 10 redis_follows n2 10.77.0.1 || fail "n2's Redis does not sync once n1's leaves protected mode"
synced() { [[ "$(state_of n2)" == BACKUP ]]; }
wait_until 10 synced || fail "n2 is $(state_of n2), not BACKUP, after its Redis synced"
ctl n2 status | grep -qE "DENIED|protected mode" && fail "n2's status still names DENIED after the sync: $(ctl n2 status | tr '\n' ' ')"
pass "protected mode off: n2 syncs, BACKUP, the reason gone"
