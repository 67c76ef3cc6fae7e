#!/usr/bin/env bash
# Interoperation with the real keepalived, both ways:
#  1. adverts keepalived sends (v2 PASS IPv4, v3 IPv4, v3 IPv6, v3 unicast IPv4) are received
#     by VrrpSocket and accepted by our decoder;
#  2. keepalived accepts ours: while we advertise a higher priority its instances stay BACKUP
#     (no VIP); once we stop they take over (the VIP appears), so the check can fail.
set -euo pipefail
source "$(dirname "$0")/lib/topology.sh"
topo_init ski
require_cmd keepalived

K=$(topo_ns k) B=$(topo_ns b)
topo_lan 81 k b
LL_K=$(netns_link_local "$K" eth0)

run_keepalived() {  # run_keepalived NAME < CONFIG: keepalived in K with its own files
  local dir=$TOPO_TMP/$1
  mkdir -p "$dir"
  cat >"$dir/keepalived.conf"
  netns_bg "$K" keepalived -n -l -D --vrrp -f "$dir/keepalived.conf" -p "$dir/keepalived.pid" \
    -r "$dir/vrrp.pid" -c "$dir/checkers.pid" >"$dir/log" 2>&1
  KEEPALIVED_PID=$TOPO_LAST_PID
}
stop_keepalived() {
  kill -TERM "$KEEPALIVED_PID" 2>/dev/null || true
  wait "$KEEPALIVED_PID" 2>/dev/null || true
}

# --- 1. keepalived -> us ---------------------------------------------------------------------
receive() {  # receive NAME ARGS...: a receiver in B that stops after 3 accepted adverts
  local name=$1
  shift
  netns_bg "$B" "$TOPO_TOOLS/vrrp_recv" --interface eth0 --duration-ms 15000 --expect 3 "$@" \
    >"$TOPO_TMP/$name.out"
  eval "PID_$name=$TOPO_LAST_PID"
  wait_for_line "$TOPO_TMP/$name.out" '^ready'
}
receive v2pass --family 4 --version 2 --vrid 41 --password secret1
receive v3ipv4 --family 4 --version 3 --vrid 42
receive v3ipv6 --family 6 --version 3 --vrid 43
receive v3uni --family 4 --version 3 --vrid 44 --peer 10.81.0.1

run_keepalived sender <<EOF
global_defs {
  router_id nls_sender
}
vrrp_instance v2pass {
  version 2
  state MASTER
  interface eth0
  virtual_router_id 41
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret1
  }
  virtual_ipaddress {
    10.81.0.100/32
  }
}
vrrp_instance v3ipv4 {
  version 3
  state MASTER
  interface eth0
  virtual_router_id 42
  priority 160
  advert_int 0.2
  virtual_ipaddress {
    10.81.0.101/32
    10.81.0.102/32
  }
}
vrrp_instance v3ipv6 {
  version 3
  state MASTER
  interface eth0
  virtual_router_id 43
  priority 170
  advert_int 0.2
  virtual_ipaddress {
    fd81::100/128
  }
}
vrrp_instance v3uni {
  version 3
  state MASTER
  interface eth0
  virtual_router_id 44
  priority 180
  advert_int 0.2
  unicast_src_ip 10.81.0.1
  unicast_peer {
    10.81.0.2
  }
  virtual_ipaddress {
    10.81.0.103/32
  }
}
EOF

check_received() {  # check_received NAME WANT_ADVERT_LINE
  local pid_var=PID_$1 got
  wait "${!pid_var}" || fail "receiver $1 failed"
  grep -q '^summary accepted=3 ' "$TOPO_TMP/$1.out" ||
    fail "$1: $(tail -1 "$TOPO_TMP/$1.out"); keepalived log: $(cat "$TOPO_TMP/sender/log")"
  got=$(grep '^advert' "$TOPO_TMP/$1.out" | sort -u)
  [[ $got == "$2" ]] || fail "$1: got '$got', want '$2'"
  echo "$1: $(tail -1 "$TOPO_TMP/$1.out")"
}
check_received v2pass "advert src=10.81.0.1 dst=224.0.0.18 ttl=255 version=2 vrid=41 priority=150 interval_cs=100 auth=1 addresses=10.81.0.100"
check_received v3ipv4 "advert src=10.81.0.1 dst=224.0.0.18 ttl=255 version=3 vrid=42 priority=160 interval_cs=20 auth=0 addresses=10.81.0.101,10.81.0.102"
check_received v3ipv6 "advert src=$LL_K dst=ff02::12 ttl=255 version=3 vrid=43 priority=170 interval_cs=20 auth=0 addresses=fd81::100"
check_received v3uni "advert src=10.81.0.1 dst=10.81.0.2 ttl=255 version=3 vrid=44 priority=180 interval_cs=20 auth=0 addresses=10.81.0.103"
stop_keepalived
pass "keepalived's v2 PASS IPv4, v3 IPv4, v3 IPv6 and v3 unicast adverts received and decoded"

# --- 2. us -> keepalived ---------------------------------------------------------------------
# keepalived starts as BACKUP with priority 100 and would be MASTER ~0.7 s (v3) / ~3.6 s (v2)
# after the last advert from a better master.
run_keepalived receiver <<EOF
global_defs {
  router_id nls_receiver
}
vrrp_instance v2pass {
  version 2
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret1
  }
  virtual_ipaddress {
    10.81.0.110/32
  }
}
vrrp_instance v3ipv4 {
  version 3
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  advert_int 0.2
  virtual_ipaddress {
    10.81.0.111/32
  }
}
vrrp_instance v3ipv6 {
  version 3
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority 100
  advert_int 0.2
  virtual_ipaddress {
    fd81::110/128
  }
}
EOF
send_loop() {  # send_loop ARGS...: adverts from B every 200 ms
  netns_bg "$B" "$TOPO_TOOLS/vrrp_send" --interface eth0 --priority 200 --count 50 --gap-ms 200 "$@" \
    >/dev/null
}
send_loop --family 4 --version 2 --vrid 51 --interval-cs 100 --password secret1 --vip 10.81.0.110
SEND_V2=$TOPO_LAST_PID
send_loop --family 4 --version 3 --vrid 52 --interval-cs 20 --vip 10.81.0.111
SEND_V3=$TOPO_LAST_PID
send_loop --family 6 --version 3 --vrid 53 --interval-cs 20 --vip fd81::110
SEND_V6=$TOPO_LAST_PID

k_has() {  # not "| grep -q": with pipefail, ip's SIGPIPE would turn a match into a failure
  [[ $(ip -n "$K" addr show dev eth0) == *" $1/"* ]]
}
sleep 6  # well past keepalived's master-down time for all three
for vip in 10.81.0.110 10.81.0.111 fd81::110; do
  k_has $vip && fail "keepalived took $vip while we advertised priority 200: $(cat "$TOPO_TMP/receiver/log")"
done
if grep -Ei "checksum|invalid|bad" "$TOPO_TMP/receiver/log"; then
  fail "keepalived complained about our adverts"
fi
for pid in "$SEND_V2" "$SEND_V3" "$SEND_V6"; do
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
for _ in $(seq 100); do
  k_has 10.81.0.110 && k_has 10.81.0.111 && k_has fd81::110 && break
  sleep 0.1
done
for vip in 10.81.0.110 10.81.0.111 fd81::110; do
  k_has $vip || fail "keepalived did not take $vip after we stopped: $(cat "$TOPO_TMP/receiver/log")"
done
stop_keepalived
pass "keepalived stayed BACKUP on our v2 PASS, v3 IPv4 and v3 IPv6 adverts and took over when they stopped"
