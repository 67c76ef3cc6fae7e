#!/bin/bash
# The .rpm installed with rpm -i --nodeps --root into a scratch root (no RPM-based system is at
# hand) holds what the .deb installs: the same files with the same modes, the same unit,
# sysusers file, config and man pages, the config protected from upgrades in both; and its
# scriptlets do what the .deb's maintainer scripts do: create the user, enable and start
# nothing on install, stop and disable on removal, restart a running daemon on upgrade.
# systemd_service.sh runs those scriptlets for real under systemd.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/nspawn.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (rpm --root keeps owners)"; exit 77; }

nspawn_deb
nspawn_rpm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rpmroot
debroot=$tmp/debroot
mkdir -p "$root" "$debroot/DEBIAN"

# Scriptlets need a shell inside the root; this one has none, so they are read, not run here.
rpm --root "$root" --dbpath /var/lib/rpm --initdb
rpm --root "$root" --dbpath /var/lib/rpm -i --nodeps --noscripts "$NSPAWN_RPM" || fail "rpm -i --nodeps --root"
rpm --root "$root" --dbpath /var/lib/rpm -q redvip >/dev/null || fail "the scratch root's rpm database lacks redvip"
rpm --root "$root" --dbpath /var/lib/rpm -V --nodeps redvip || fail "rpm -V: the installed files differ from the package"
dpkg-deb -x "$NSPAWN_DEB" "$debroot"
dpkg-deb -e "$NSPAWN_DEB" "$debroot/DEBIAN"

# path, type and mode of every file both install (docs, licences and build ids aside).
listing() {
  (cd "$1" && find . \( -path ./var/lib/rpm -o -path ./usr/lib/sysimage -o -path ./DEBIAN \
       -o -path ./usr/share/doc -o -path ./usr/share/licenses -o -path ./usr/lib/.build-id \) -prune \
       -o \( -type f -o -type l \) -printf '%p %y %m %u:%g\n') \
    | sed -e 's|^\./|/|' -e 's|^/lib/systemd/|/usr/lib/systemd/|' -e 's|\.gz | |' | sort
}
listing "$root" >"$tmp/rpm.list"
listing "$debroot" >"$tmp/deb.list"
diff "$tmp/deb.list" "$tmp/rpm.list" || fail "the .rpm installs other files or modes than the .deb (- deb, + rpm)"
echo "same files, types, modes and owners in both:"
sed 's/^/  /' "$tmp/rpm.list"

same() {  # PATH_IN_DEB PATH_IN_RPM: byte for byte (man pages uncompressed)
  local a=$debroot$1 b=$root$2
  if [[ $a == *.gz ]]; then cmp -s <(zcat "$a") <(zcat "$b"); else cmp -s "$a" "$b"; fi \
    || fail "$1 differs between the .deb and the .rpm"
}
same /lib/systemd/system/redvip.service /usr/lib/systemd/system/redvip.service
same /usr/lib/sysusers.d/redvip.conf /usr/lib/sysusers.d/redvip.conf
same /etc/redvip/redvip.conf /etc/redvip/redvip.conf
for page in man8/redvipd.8 man5/redvip.conf.5 man1/redvipctl.1; do
  same "/usr/share/man/$page.gz" "/usr/share/man/$page.gz"
done
echo "unit, sysusers file, config and man pages identical"

# The config survives upgrades in both: a dpkg conffile, an rpm %config(noreplace).
grep -qx /etc/redvip/redvip.conf "$debroot/DEBIAN/conffiles" || fail "not a conffile in the .deb"
[[ $(rpm --root "$root" --dbpath /var/lib/rpm -q --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' redvip | awk '$1 == "/etc/redvip/redvip.conf" { print $2 }') == cn ]] \
  || fail "redvip.conf is not %config(noreplace) in the .rpm"

# The scriptlets, side by side: what each package does at each step.
rpm -qp --scripts "$NSPAWN_RPM" >"$tmp/rpm.scripts"
section() { awk -v s="$1 scriptlet" 'index($0, s) == 1 { on = 1; next } /scriptlet \(using/ { on = 0 } on' "$tmp/rpm.scripts"; }
deb() { cat "$debroot/DEBIAN/$1" 2>/dev/null || true; }
expect() {  # WHAT TEXT PATTERN...: every pattern is in the text
  local what=$1 text=$2 pattern; shift 2
  for pattern; do grep -qE -- "$pattern" <<<"$text" || fail "$what: no /$pattern/"; done
  echo "  $what"
}
expect "deb postinst creates the user (systemd-sysusers)" "$(deb postinst)" 'systemd-sysusers.*redvip\.conf'
expect "rpm %pre creates the user (useradd)" "$(section preinstall)" 'useradd -r -g redvip'
expect "deb postinst reloads systemd" "$(deb postinst)" 'daemon-reload'
expect "rpm %post reloads systemd" "$(section postinstall)" 'daemon-reload'
# On upgrade only: dpkg passes the old version as $2, rpm the number of versions left as $1.
expect "deb postinst try-restarts a running daemon on upgrade only" \
  "$(grep -B1 'deb-systemd-invoke try-restart' "$debroot/DEBIAN/postinst")" 'if \[ -n "\$2" \]' try-restart
expect "rpm %postun try-restarts a running daemon on upgrade only" "$(section postuninstall)" '"\$1" -ge 1.*try-restart'
expect "deb prerm stops the daemon on removal" "$(deb prerm)" '"\$1" = remove' 'deb-systemd-invoke stop redvip'
expect "rpm %preun stops and disables it on removal" "$(section preuninstall)" '"\$1" -eq 0' 'disable --now redvip'
# Nothing is started or enabled on a first install.
if grep -qE 'deb-systemd-invoke (start|restart) ' <(deb postinst); then fail "the deb postinst starts the service"; fi
if grep -qE 'systemctl.* (start|enable|restart) ' <(section postinstall); then fail "rpm %post starts or enables the service"; fi
echo "  neither starts or enables anything on a first install"
echo "systemd_rpm_root: ok"
