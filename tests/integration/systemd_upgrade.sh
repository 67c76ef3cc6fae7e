#!/bin/bash
# A package upgrade of the master node under load, under a real systemd (a Debian 12 container
# booted by systemd-nspawn). Two nodes in front of a Redis pair: n1, the master, is the
# container's own network namespace with redvip.service from the .deb (apt install ./…deb);
# n2 is a namespace inside it with its own redvipd service; a client writes through the VIP
# every millisecond (vip_writer). `dpkg -i` of a newer build on n1 restarts the service (the
# postinst's try-restart): the stop hands the master role over to n2, the new daemon comes back
# as BACKUP. Not one acknowledged write may be lost; the outage is reported. The checks are
# lib/nspawn_upgrade.bash, run inside. SKIPPED (77) when Debian's mirror cannot be reached.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/nspawn.sh"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (systemd-nspawn)"; exit 77; }

nspawn_init sdupg
nspawn_deb
mapfile -t depends < <(deb_depends "$NSPAWN_DEB")
nspawn_root "${depends[@]}" || exit $?
nspawn_share_tool vip_writer

# The newer build: the same package with a higher version (what the upgrade exercises is the
# packaging — the old prerm, the new postinst, the service restart — not the code).
old_version=$(dpkg-deb -f "$NSPAWN_DEB" Version)
new_version=$old_version+upgradetest1
dpkg-deb -R "$NSPAWN_DEB" "$NSPAWN_DIR/repack"
sed -i "s/^Version: .*/Version: $new_version/" "$NSPAWN_DIR/repack/DEBIAN/control"
cp "$NSPAWN_DEB" "$NSPAWN_DIR/old.deb"
dpkg-deb -b --root-owner-group "$NSPAWN_DIR/repack" "$NSPAWN_DIR/new.deb" >/dev/null
rm -rf "$NSPAWN_DIR/repack"
dpkg --compare-versions "$new_version" gt "$old_version" || { echo "FAIL: $new_version is not newer" >&2; exit 1; }

nspawn_checks nspawn_upgrade.bash
nspawn_boot 300
nspawn_result
