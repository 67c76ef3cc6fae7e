# Inside the container of systemd_service.sh (systemd 252 as PID 1): redvip.service from the
# .deb, as an operator runs it. One node on eth0 (a veth whose other end is in the namespace
# of a peer node, started for the watchdog check).
VIP=10.79.0.200
CONF=/etc/redvip/redvip.conf
deb=$(ls $T/redvip_*.deb)

ip netns add peer
ip link add eth0 type veth peer name eth0 netns peer
ip link set lo up
ip link set eth0 up
ip addr add 10.79.0.1/24 dev eth0
ip -n peer link set lo up
ip -n peer link set eth0 up
ip -n peer addr add 10.79.0.2/24 dev eth0

node_config() {  # PRIORITY [VRID]: one instance, this node's VIP on eth0
  cat <<CONF
vrrp_instance svc {
    state BACKUP
    interface eth0
    virtual_router_id ${2:-61}
    priority $1
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
}

step "dpkg -i: installed, not enabled, not started"
dpkg -i "$deb"
[[ $(dpkg-query -W -f='${db:Status-Status}' redvip) == installed ]] || fail "not installed"
getent passwd redvip >/dev/null || fail "no user redvip"
[[ $(systemctl is-enabled redvip || true) == disabled ]] || fail "enabled on install: $(systemctl is-enabled redvip)"
[[ $(systemctl is-active redvip || true) == inactive ]] || fail "started on install"
pass "installed; redvip.service disabled and inactive until configured"

step "systemctl enable --now with a real config"
node_config 150 >"$CONF"
journal_mark
t0=$(now_ms)
systemctl enable --now redvip || { journal_since_mark; fail "enable --now failed"; }
echo "systemctl enable --now returned after $(ms_since "$t0") ms (Type=notify: after READY=1)"
[[ $(systemctl is-enabled redvip) == enabled ]] || fail "not enabled"
[[ $(unit_prop redvip ActiveState) == active && $(unit_prop redvip SubState) == running ]] \
  || fail "state $(unit_prop redvip ActiveState)/$(unit_prop redvip SubState)"
pid=$(main_pid)
[[ $(unit_prop redvip WatchdogUSec) == 2s ]] || fail "WatchdogUSec=$(unit_prop redvip WatchdogUSec)"
check_privileges "$pid"
[[ $(proc_field "$pid" CapAmb) == 0000000000000000 ]] || fail "CapAmb $(proc_field "$pid" CapAmb)"
# The daemon's state directory (diverged_writes_dir lives under it): its own, private, and
# writable for it although ProtectSystem=strict makes /var read-only.
[[ $(stat -c '%U %a' /var/lib/redvip 2>&1) == "redvip 700" ]] ||
  fail "/var/lib/redvip: $(stat -c '%U %a' /var/lib/redvip 2>&1)"
grep -q " /var/lib/redvip rw" "/proc/$pid/mountinfo" ||
  grep -q " /var/lib/private/redvip rw" "/proc/$pid/mountinfo" ||
  fail "/var/lib/redvip is not mounted writable for the daemon: $(grep -E ' /var(/lib)? ' "/proc/$pid/mountinfo")"
wait_until 5 local_vip $VIP || fail "VIP $VIP never added"
pass "VIP $VIP on eth0"
wait_journal 3 "configuration $CONF is valid \(1 instance\)"   # ExecStartPre -t
wait_journal 3 "redvipd [0-9.]+ running with $CONF"
wait_journal 3 "systemd watchdog: 2000 ms, pinged every 1000 ms"
wait_journal 3 "svc.*MASTER"
journal_since_mark | sed 's/^/  journal: /'
pass "journal: config test, running, watchdog, MASTER"

step "systemctl reload: SIGHUP, same PID, the VIP never leaves"
journal_mark
ip -o monitor address dev eth0 >/tmp/addr-monitor.log 2>&1 &
monitor=$!
sleep 0.2
systemctl reload redvip || fail "systemctl reload failed"
wait_journal 3 "SIGHUP: reloading"
wait_journal 3 "reloaded: 1 kept, 0 restarted"
sleep 1
kill "$monitor"
[[ $(main_pid) == "$pid" ]] || fail "the reload changed the PID ($pid -> $(main_pid))"
[[ $(unit_prop redvip ActiveState) == active ]] || fail "not active after reload"
local_vip $VIP || fail "VIP gone after reload"
grep -q "^Deleted.*$VIP" /tmp/addr-monitor.log && { cat /tmp/addr-monitor.log; fail "the VIP flapped during the reload"; }
pass "reload: same PID $pid, still active, VIP kept (no address event)"

# systemd grants LimitNOFILE=65536 up to its own hard limit (a container's may be lower).
ceiling=$(awk '/^Max open files/ {print $5}' /proc/1/limits)
want=$(( ceiling == 0 || ceiling > 65536 ? 65536 : ceiling ))
[[ $ceiling == unlimited ]] && want=65536
nofile=$(awk '/^Max open files/ {print $4 " " $5}' "/proc/$pid/limits")
[[ $nofile == "$want $want" ]] || fail "the daemon's descriptor limit is '$nofile', not the unit's LimitNOFILE=65536 (capped at systemd's $ceiling)"
pass "descriptor limit $want (LimitNOFILE=65536, systemd's own limit $ceiling)"

step "vrrp_rt_priority and vrrp_no_swap work under the unit's limits"
journal_mark
{ printf 'global_defs {\n    vrrp_rt_priority 10\n    vrrp_no_swap\n}\n'; node_config 150; } >"$CONF"
# systemd grants LimitRTPRIO=/LimitMEMLOCK= only up to its own hard limits: in a container
# whose PID 1 has none (this CI's), the daemon must say what failed and what permits it, and keep
# running; SCHED_RR and the lock themselves are tested on the host (realtime_options).
pid1_hard() { awk -v k="$1" 'index($0, k) == 1 {print $(NF-1)}' /proc/1/limits; }
rtprio_hard=$(pid1_hard "Max realtime priority")
memlock_hard=$(pid1_hard "Max locked memory")
systemctl reload redvip || fail "systemctl reload failed"
if [[ $rtprio_hard != unlimited && $rtprio_hard -lt 10 ]] || [[ $memlock_hard != unlimited ]]; then
  wait_journal 3 "cannot (run SCHED_RR|lock memory).*needs root"
  [[ $(main_pid) == "$pid" ]] && local_vip $VIP || fail "the refused request disturbed the daemon"
  echo "note: systemd here may grant RTPRIO up to $rtprio_hard and MEMLOCK up to $memlock_hard: the refusal is checked, not SCHED_RR"
  granted=0
else
  wait_journal 3 "scheduler SCHED_RR 10, memory locked"
  chrt -p "$pid" | grep -q "SCHED_RR" || fail "not SCHED_RR: $(chrt -p "$pid")"
  (( $(proc_field "$pid" VmLck | tr -dc 0-9) > 0 )) || fail "no memory locked: $(proc_field "$pid" VmLck)"
  granted=1
fi
node_config 150 >"$CONF"
systemctl reload redvip || fail "systemctl reload failed"
wait_until 3 bash -c "chrt -p $pid | grep -q SCHED_OTHER" || fail "still $(chrt -p "$pid") after removing vrrp_rt_priority"
wait_until 3 bash -c "(( \$(grep VmLck /proc/$pid/status | tr -dc 0-9) == 0 ))" || fail "memory still locked after removing vrrp_no_swap"
pass "$( ((granted)) && echo "SCHED_RR 10 and locked memory as the redvip user" || echo "refused with what permits it, daemon unharmed"), back to normal on reload"

step "a reload with a broken config keeps the running one"
journal_mark
cp "$CONF" /tmp/good.conf
sed -i 's/virtual_router_id 61/virtual_router_id 300/' "$CONF"
systemctl reload redvip || fail "systemctl reload failed"
wait_journal 3 "reload refused"
[[ $(main_pid) == "$pid" ]] && local_vip $VIP || fail "a refused reload disturbed the daemon"
cp /tmp/good.conf "$CONF"
pass "refused reload: same PID, VIP kept"

step "systemctl kill -s KILL: ExecStopPost removes the VIP, Restart= brings the daemon back"
journal_mark
restarts=$(unit_prop redvip NRestarts)
t0=$(now_ms)
systemctl kill -s KILL redvip
wait_until 3 no_local_vip $VIP || fail "the VIP stayed after SIGKILL"
gone=$(ms_since "$t0")
wait_journal 3 "removed $VIP/24 from eth0"
wait_until 10 restarts_above "$restarts" || fail "no restart after SIGKILL"
wait_until 10 substate_is running || fail "not running again"
new_pid=$(main_pid)
[[ $new_pid != "$pid" && $new_pid != 0 ]] || fail "same PID after the restart"
wait_until 5 local_vip $VIP || fail "the restarted daemon did not take the VIP back"
back=$(ms_since "$t0")
check_privileges "$new_pid"
echo "SIGKILL: VIP removed after $gone ms by ExecStopPost, daemon restarted (pid $pid -> $new_pid), VIP back after $back ms"
pid=$new_pid
pass "crash: cleanup, restart, the restarted daemon holds the VIP"

step "systemctl stop: VIP released, exit 0"
journal_mark
systemctl stop redvip || fail "systemctl stop failed"
[[ $(unit_prop redvip ActiveState) == inactive ]] || fail "state after stop: $(unit_prop redvip ActiveState)"
[[ $(unit_prop redvip ExecMainStatus) == 0 && $(unit_prop redvip Result) == success ]] \
  || fail "stop: status $(unit_prop redvip ExecMainStatus) result $(unit_prop redvip Result)"
no_local_vip $VIP || fail "VIP left after stop"
wait_journal 3 "SIGTERM: releasing every instance"
pass "stopped: exit 0, Result=success, VIP gone"

step "a broken config: ExecStartPre -t fails the start with file:line"
journal_mark
sed -i 's/virtual_router_id 61/virtual_router_id 300/' "$CONF"
line=$(grep -n 'virtual_router_id 300' "$CONF" | cut -d: -f1)
if systemctl start redvip; then fail "started with a broken config"; fi
wait_journal 3 "$CONF:$line"
journal_since_mark | grep -m1 "$CONF:$line" | sed 's/^/  journal: /'
[[ $(unit_prop redvip ActiveState) != active ]] || fail "active with a broken config"
[[ $(unit_prop redvip MainPID) == 0 ]] || fail "a daemon runs with a broken config"
no_local_vip $VIP || fail "VIP added with a broken config"
cp /tmp/good.conf "$CONF"
systemctl stop redvip 2>/dev/null || true   # ends a pending auto-restart
systemctl reset-failed redvip
systemctl start redvip || fail "start with the config fixed"
wait_until 5 local_vip $VIP || fail "VIP not back with the config fixed"
pid=$(main_pid)
pass "broken config refused by ExecStartPre with $CONF:$line; fixed, it starts"

step "a frozen daemon (SIGSTOP): the watchdog kills it, ExecStopPost removes the VIP, it restarts"
# The peer: a plain redvipd in the other namespace, lower priority, the same VRID.
node_config 100 | sed "s|^vrrp_instance|redvip_defs {\n    control_socket /tmp/peer.sock\n}\nvrrp_instance|" >/tmp/peer.conf
ip netns exec peer /usr/sbin/redvipd -f /tmp/peer.conf >/tmp/peer.log 2>&1 &
peer=$!
peer_vip() { ip -n peer -o addr show dev eth0 | grep -q " $VIP/"; }
sleep 1
peer_vip && fail "the peer took the VIP from a live master"
journal_mark
restarts=$(unit_prop redvip NRestarts)
t0=$(now_ms)
kill -STOP "$pid"
wait_until 5 peer_vip || fail "the peer did not take over from the frozen master"
peer_at=$(ms_since "$t0")
local_vip $VIP && echo "two holders from $peer_at ms: the frozen master still has the VIP"
wait_until 10 no_local_vip $VIP || fail "the frozen daemon kept the VIP"
removed_at=$(ms_since "$t0")
wait_journal 5 "[Ww]atchdog timeout"
wait_until 10 restarts_above "$restarts" || fail "no restart after the watchdog"
wait_until 10 substate_is running || fail "not running after the watchdog"
new_pid=$(main_pid)
[[ $new_pid != "$pid" ]] || fail "same PID after the watchdog"
# Priority 150 against 100: the restarted daemon preempts and is again the only holder.
wait_until 10 local_vip $VIP || fail "the restarted daemon did not take its place"
wait_until 5 bash -c "! ip -n peer -o addr show dev eth0 | grep -q ' $VIP/'" || fail "two holders after the restart"
back_at=$(ms_since "$t0")
journal_since_mark | grep -iE "watchdog|removed|Main process" | sed 's/^/  journal: /'
echo "SIGSTOP: peer took over after $peer_at ms, two holders until $removed_at ms (watchdog 2 s), restarted and sole holder after $back_at ms"
echo "FIGURES systemd_watchdog: peer_takeover_ms=$peer_at two_holders_until_ms=$removed_at back_ms=$back_at"
kill -TERM "$peer"; wait "$peer" || true
pass "frozen daemon: killed by the watchdog, VIP removed, restarted"

step "dpkg -r: service stopped, VIP gone, config kept; --purge removes it"
journal_mark
dpkg -r redvip
[[ $(dpkg-query -W -f='${db:Status-Status}' redvip) == config-files ]] || fail "after dpkg -r: $(dpkg-query -W -f='${db:Status-Status}' redvip)"
[[ $(unit_prop redvip ActiveState) == inactive ]] || fail "still $(unit_prop redvip ActiveState) after dpkg -r"
pgrep -x redvipd && fail "redvipd still runs after dpkg -r"
no_local_vip $VIP || fail "VIP left after dpkg -r"
[[ -f $CONF ]] || fail "dpkg -r removed $CONF"
[[ ! -e /usr/sbin/redvipd ]] || fail "redvipd left after dpkg -r"
wait_journal 3 "SIGTERM: releasing every instance"
dpkg --purge redvip
[[ ! -e /etc/redvip ]] || fail "/etc/redvip left after purge"
systemctl daemon-reload
[[ $(unit_prop redvip LoadState) == not-found ]] || fail "unit still loaded after purge: $(unit_prop redvip LoadState)"
[[ ! -e /etc/systemd/system/multi-user.target.wants/redvip.service ]] || fail "enablement link left after purge"
getent passwd redvip >/dev/null && echo "user redvip kept (Debian keeps system users: files may still be owned by it)"
pass "dpkg -r stopped it and kept the config; --purge removed config and enablement"

step "the .rpm under the same systemd: rpm -i --nodeps runs its scriptlets; enable, reload, rpm -e"
# No RPM-based system is at hand: Debian's rpm installs it here (--nodeps: its database knows
# none of the libraries). %pre must create the user, so the one the .deb made goes first.
userdel redvip
getent group redvip >/dev/null && groupdel redvip
rpm -i --nodeps $T/redvip-*.rpm || fail "rpm -i"
getent passwd redvip >/dev/null || fail "%pre did not create the user redvip"
[[ $(unit_prop redvip LoadState) == loaded ]] || fail "%post did not make systemd load the unit"
[[ $(systemctl is-enabled redvip || true) == disabled ]] || fail "rpm -i enabled the service"
[[ $(unit_prop redvip ActiveState) == inactive ]] || fail "rpm -i started the service"
node_config 150 >"$CONF"
journal_mark
systemctl enable --now redvip || { journal_since_mark; fail "enable --now (rpm)"; }
pid=$(main_pid)
check_privileges "$pid"
wait_until 5 local_vip $VIP || fail "VIP never added (rpm)"
systemctl reload redvip || fail "reload (rpm)"
wait_journal 3 "reloaded: 1 kept"
[[ $(main_pid) == "$pid" ]] || fail "reload changed the PID (rpm)"
rpm -e redvip || fail "rpm -e"
[[ $(unit_prop redvip ActiveState) != active ]] || fail "%preun did not stop the service"
no_local_vip $VIP || fail "VIP left after rpm -e"
[[ ! -e /etc/systemd/system/multi-user.target.wants/redvip.service ]] || fail "%preun did not disable it"
[[ -f $CONF.rpmsave ]] || fail "rpm -e did not keep the edited config as $CONF.rpmsave"
pass "rpm: user from %pre, nothing started on install, enable/reload work, rpm -e stops, disables and keeps the edited config"
