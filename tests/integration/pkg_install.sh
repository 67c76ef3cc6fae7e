#!/bin/bash
# The .deb installs on this machine, its redvipd accepts the installed config, systemd accepts
# the unit, and remove/purge leave nothing behind. The machine is restored on every exit: the
# package purged, and the user/group redvip deleted when this test created them.
set -euo pipefail
src=${REDVIP_SOURCE_DIR:?}
out=${REDVIP_BUILD_DIR:?}/packages
version=$(sed -n 's/^project(redvip VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb=$out/redvip_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
fail() { echo "FAIL: $*" >&2; exit 1; }

status() { dpkg-query -W -f='${db:Status-Status}' redvip 2>/dev/null || echo not-installed; }
# Never touch a redvip someone installed for real.
[[ $(status) == not-installed ]] || fail "redvip is already installed here ($(status)); not touching it"

# Reuse pkg_build's package when no source is newer; otherwise build it.
mkdir -p "$out"
if [[ ! -f $deb ]] || [[ -n $(find "$src/CMakeLists.txt" "$src/agent" "$src/vrrp" "$src/netlink" \
                                  "$src/packaging" -newer "$deb" -print -quit) ]]; then
  "$src/scripts/package" deb "$out" >"$out/deb-build.log" 2>&1 \
    || { tail -40 "$out/deb-build.log"; fail "deb build"; }
fi

user_existed=0; getent passwd redvip >/dev/null && user_existed=1
group_existed=0; getent group redvip >/dev/null && group_existed=1
cleanup() {
  if [[ $(status) != not-installed ]]; then dpkg --purge redvip >/dev/null 2>&1 || true; fi
  if ((!user_existed)) && getent passwd redvip >/dev/null; then userdel redvip || true; fi
  if ((!group_existed)) && getent group redvip >/dev/null; then groupdel redvip || true; fi
}
trap cleanup EXIT

dpkg -i "$deb"
[[ $(status) == installed ]] || fail "not installed after dpkg -i: $(status)"

# The system user, from the sysusers file.
entry=$(getent passwd redvip) || fail "user redvip was not created"
[[ $(cut -d: -f3 <<<"$entry") -lt 1000 ]] || fail "redvip is not a system user: $entry"
[[ $(cut -d: -f7 <<<"$entry") == */nologin ]] || fail "redvip can log in: $entry"
getent group redvip >/dev/null || fail "group redvip was not created"

# The installed daemon accepts the installed (example) config and knows its version.
/usr/sbin/redvipd --version | grep -q "$version" || fail "redvipd --version: $(/usr/sbin/redvipd --version)"
/usr/sbin/redvipd -t -f /etc/redvip/redvip.conf || fail "redvipd -t rejects the installed config"
# ... and the check is real: a broken config is refused.
broken=$(mktemp)
trap 'rm -f "$broken"; cleanup' EXIT
sed 's/virtual_router_id 51/virtual_router_id 300/' /etc/redvip/redvip.conf >"$broken"
if /usr/sbin/redvipd -t -f "$broken" 2>/dev/null; then fail "redvipd -t accepts virtual_router_id 300"; fi

# systemd (not PID 1 here) checks the unit offline: syntax, executables, man pages.
unit=/lib/systemd/system/redvip.service
verify=$(systemd-analyze verify "$unit" 2>&1) || { echo "$verify"; fail "systemd-analyze verify"; }
[[ -z $verify ]] || { echo "$verify"; fail "systemd-analyze verify complains"; }
# An exposure score for the report (lower is better; 10 is an unhardened service).
systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -1 || true
# Installing enables nothing: the service needs a configuration first.
[[ ! -e /etc/systemd/system/multi-user.target.wants/redvip.service ]] || fail "service enabled on install"
for page in redvipd.8 redvip.conf.5; do
  man -w "${page%.*}" >/dev/null 2>&1 || [[ -f /usr/share/man/man${page##*.}/$page.gz ]] \
    || fail "man page $page missing"
done

# Remove keeps the (conf)file, purge removes everything.
files=$(dpkg -L redvip)
dpkg -r redvip
[[ $(status) == config-files ]] || fail "after dpkg -r: $(status)"
[[ ! -e /usr/sbin/redvipd ]] || fail "redvipd left after remove"
[[ -f /etc/redvip/redvip.conf ]] || fail "conffile removed by dpkg -r"
dpkg -P redvip
[[ $(status) == not-installed ]] || fail "after dpkg -P: $(status)"
left=$(while read -r f; do if [[ ! -d $f ]] && [[ -e $f || -L $f ]]; then echo "$f"; fi; done <<<"$files")
[[ -z $left ]] || fail "left after purge: $left"
[[ ! -e /etc/redvip ]] || fail "/etc/redvip left after purge"
echo "pkg_install: ok"
