#!/bin/bash
# Every program a line of redvip.service runs (ExecStartPre=, ExecStart=, ExecReload=,
# ExecStopPost=, ...) is on a machine that installed the package: shipped by the package itself,
# or by a package it depends on (.deb: Depends, or Essential: yes; .rpm: a Requires naming the
# program). ExecReload=/bin/kill once needed procps, which the .deb did not depend on: on a
# minimal Debian `systemctl reload redvip` failed with 203/EXEC. The check is shown to catch
# exactly that: with procps taken out of Depends it must fail.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/nspawn.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

nspawn_deb
nspawn_rpm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$NSPAWN_DEB" | tar -xO ./lib/systemd/system/redvip.service >"$tmp/unit"

# The programs the unit runs: the first word of each Exec*= value, after systemd's prefixes.
unit_programs() {
  sed -n 's/^Exec[A-Za-z]*=//p' "$1" | sed 's/^[-@:+!]*//' | awk '{ print $1 }' | sort -u
}
# Debian 12 and Fedora are merged-/usr: /bin/x and /usr/bin/x are one file.
merged() { sed -e 's|^/bin/|/usr/bin/|' -e 's|^/sbin/|/usr/sbin/|' -e 's|^/lib/|/usr/lib/|'; }

mapfile -t programs < <(unit_programs "$tmp/unit")
printf "%s\n" "${programs[@]}" | grep -qx /usr/sbin/redvipd || fail "ExecStart not found: ${programs[*]}"
for p in "${programs[@]}"; do
  [[ $p == /* ]] || fail "$p: the unit names programs by absolute path"
done
echo "the unit runs: ${programs[*]}"
dpkg-deb --fsys-tarfile "$NSPAWN_DEB" | tar -t | sed 's|^\./|/|' | merged >"$tmp/deb-files"

# deb_check DEPENDS...: every program is the package's own or comes with one of DEPENDS.
deb_check() {
  local p owner
  for p in "${programs[@]}"; do
    if grep -qx "$(merged <<<"$p")" "$tmp/deb-files"; then
      echo "  $p: in the package"
      continue
    fi
    owner=$(dpkg-query -S "$p" 2>/dev/null || dpkg-query -S "$(merged <<<"$p")" 2>/dev/null) \
      || { echo "  $p: no installed package provides it here, cannot tell" >&2; return 1; }
    owner=${owner%%:*}
    if printf '%s\n' "$@" | grep -qx "$owner"; then
      echo "  $p: $owner (Depends)"
    elif [[ $(dpkg-query -W -f='${Essential}' "$owner") == yes ]]; then
      echo "  $p: $owner (Essential)"
    else
      echo "  $p: $owner, which the package does not depend on" >&2
      return 1
    fi
  done
}

mapfile -t depends < <(deb_depends "$NSPAWN_DEB")
echo ".deb Depends: ${depends[*]}"
deb_check "${depends[@]}" || fail "the .deb misses a dependency for a program its unit runs"
mapfile -t without_procps < <(printf '%s\n' "${depends[@]}" | grep -vx procps)
if deb_check "${without_procps[@]}" >/dev/null 2>&1; then
  fail "the check passes without procps in Depends: it checks nothing"
fi
echo "(without procps in Depends the check fails, as it must)"

# The .rpm: the same unit, and a Requires for each program it does not ship.
rpm2cpio "$NSPAWN_RPM" | (cd "$tmp" && cpio -id --quiet ./usr/lib/systemd/system/redvip.service)
cmp -s "$tmp/unit" "$tmp/usr/lib/systemd/system/redvip.service" \
  || { diff "$tmp/unit" "$tmp/usr/lib/systemd/system/redvip.service" || true; fail "the .rpm's unit differs from the .deb's"; }
rpm -qp --qf '[%{FILENAMES}\n]' "$NSPAWN_RPM" | merged >"$tmp/rpm-files"
rpm -qp --requires "$NSPAWN_RPM" | awk '{ print $1 }' | merged >"$tmp/rpm-requires"
for p in "${programs[@]}"; do
  m=$(merged <<<"$p")
  if grep -qx "$m" "$tmp/rpm-files"; then continue; fi
  grep -qx "$m" "$tmp/rpm-requires" || fail "the .rpm runs $p but does not require it: $(paste -sd' ' "$tmp/rpm-requires")"
  echo "  rpm: Requires $m"
done
echo "systemd_unit_deps: ok"
