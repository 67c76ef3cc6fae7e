#!/bin/bash
# redvip.service under a real systemd (252, PID 1 of a Debian 12 container booted by
# systemd-nspawn): dpkg -i starts nothing; enable --now with a real config (user, capabilities,
# NoNewPrivileges, READY, journal); reload (same PID, no VIP flap, a broken file refused); a
# SIGKILL (ExecStopPost removes the VIP, Restart= brings the daemon back); stop (exit 0, VIP
# released); a broken config (ExecStartPre -t fails the start with file:line); a frozen daemon
# (the watchdog kills it, the VIP is removed, it restarts); dpkg -r / --purge; then the .rpm's
# scriptlets the same way (rpm -i --nodeps, enable, reload, rpm -e). The checks are
# lib/nspawn_service.bash, run inside. SKIPPED (77) when Debian's mirror cannot be reached.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/nspawn.sh"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (systemd-nspawn)"; exit 77; }

nspawn_init sdsvc
nspawn_deb
nspawn_rpm
mapfile -t depends < <(deb_depends "$NSPAWN_DEB")
nspawn_root "${depends[@]}" || exit $?
cp "$NSPAWN_DEB" "$NSPAWN_RPM" "$NSPAWN_DIR/"
nspawn_checks nspawn_service.bash
nspawn_boot 300
nspawn_result
