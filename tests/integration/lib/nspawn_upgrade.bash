# Inside the container of systemd_upgrade.sh: a package upgrade of the master under load.
#   n1 10.77.0.1  the container's own namespace: Redis + redvip.service from the package
#   n2 10.77.0.2  a namespace: Redis + redvipd as a transient service (systemd-run)
#   c  10.77.0.9  a namespace: vip_writer, one SET per ms through the VIP
# all on one bridge (topology.sh's LAN namespace).
VIP=10.77.0.200
REDVIPD=/usr/sbin/redvipd
REDVIPCTL=/usr/bin/redvipctl
# n1's control socket is the packaged default (the unit's RuntimeDirectory; /tmp is private).
node_sock() { if [[ $1 == n1 ]]; then echo /run/redvip/redvip.sock; else echo "$TOPO_TMP/$1.sock"; fi; }

state_is() { [[ $(state_of "$1") == "$2" ]]; }

inside_topo_init sdupg
# The container's namespace gets a name, so topology.sh's helpers reach n1 like any host.
ip netns attach "$(topo_ns n1)" 1
ip -n "$TOPO_LAN" link add pn1 type veth peer name eth0 netns "$(topo_ns n1)"
ip -n "$TOPO_LAN" link set pn1 master br0 up
ip link set lo up
ip link set eth0 up
ip addr add 10.77.0.1/24 dev eth0
topo_host n2 10.77.0.2
topo_host c 10.77.0.9

step "apt install of the old package, as the README says"
# Offline: every dependency is in the root already, so apt has nothing to download.
(cd "$T" && apt-get install -y -q ./old.deb) >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt-get install ./redvip.deb"; }
old_version=$(dpkg-query -W -f='${Version}' redvip)
pass "redvip $old_version installed"

# The old package knows no peers { } in the redis block: the unicast peers name the redis peers.
REDIS_PEERS=-
step "two nodes up: n1 (redvip.service) master, n2 replica"
redis_start n1
redis_start n2
# nopreempt, as the packaged example: the upgraded n1 stays BACKUP rather than taking the master
# role back with a second switchover.
cp "$(redis_node_conf n1 150 $'nopreempt\n    unicast_peer {\n        10.77.0.2\n    }')" /etc/redvip/redvip.conf
chmod 0644 /etc/redvip/redvip.conf
systemctl enable --now redvip || { journalctl -u redvip -b --no-pager | tail -20; fail "enable --now redvip"; }
systemd-run --quiet --unit=redvip-n2 --collect -p Type=notify -p NotifyAccess=main \
  -p NetworkNamespacePath="/run/netns/$(topo_ns n2)" "$REDVIPD" -f "$(redis_node_conf n2 100 $'nopreempt\n    unicast_peer {\n        10.77.0.1\n    }')"
wait_until 10 only_holder n1 n1 n2 || fail "n1 did not become the only VIP holder: '$(vip_holders $VIP n1 n2)'"
wait_until 10 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1"
[[ $(redis_info_field n1 role) == master ]] || fail "n1's Redis is not master"
rcli n1 SET upg:probe 1 >/dev/null
replica_keeps_up n2 n1 2 || fail "n2's Redis does not apply n1's stream"
[[ $(state_of n1) == MASTER ]] || fail "redvipctl on n1 says $(state_of n1)"
invocation=$(unit_prop redvip InvocationID)
pid=$(main_pid)
pass "n1 master (pid $pid), n2's Redis follows it"

step "dpkg -i of a newer build on the master, under load"
journal_mark
# A 20 ms client timeout: the outage is measured in steps of it (the default 100 ms would hide
# the pause itself, which is below that).
writer_start c --duration 10 --timeout-ms 20 --verify 10.77.0.2:6379
sleep 2
t0=$(now_ms)
dpkg -i "$T/new.deb" >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i of the newer build"; }
took=$(ms_since "$t0")
cat /tmp/dpkg.log | sed 's/^/  dpkg: /'
[[ $(dpkg-query -W -f='${Version}' redvip) != "$old_version" ]] || fail "still $old_version"
only_holder n2 n1 n2 || fail "after the upgrade the VIP holders are '$(vip_holders $VIP n1 n2)', want n2"
[[ $(unit_prop redvip InvocationID) != "$invocation" ]] || fail "the upgrade did not restart redvip.service"
[[ $(unit_prop redvip SubState) == running ]] || fail "redvip.service is $(unit_prop redvip SubState) after the upgrade"
new_pid=$(main_pid)
wait_journal 3 "SIGTERM: releasing every instance"
wait_journal 3 "redvipd [0-9.]+ running with /etc/redvip/redvip.conf"
wait_until 5 redis_follows n1 10.77.0.2 || fail "n1's Redis does not follow n2 after the upgrade"
wait_until 5 state_is n1 BACKUP || fail "the upgraded n1 is $(state_of n1), want BACKUP"
writer_wait
journal_since_mark | grep -vE '^$' | tail -25 | sed 's/^/  journal: /'
echo "dpkg -i took $took ms; redvipd pid $pid -> $new_pid; n2 holds the VIP; n1 BACKUP, its Redis follows n2"
figures systemd_upgrade "dpkg_ms=$took"
[[ $W_LOST == 0 ]] || fail "the upgrade lost $W_LOST acknowledged writes"
((W_OUTAGE < 3000)) || fail "outage ${W_OUTAGE} ms"
pass "upgrade of the master: lost 0 of $W_ACKED acknowledged writes, outage ${W_OUTAGE} ms"

step "the old master keeps following: writes after the upgrade reach both"
rcli n2 SET upg:after 1 >/dev/null
replica_keeps_up n1 n2 2 || fail "n1's Redis does not apply n2's stream after the upgrade"
pass "n1 replicates n2 after the upgrade"
