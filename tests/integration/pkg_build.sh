#!/bin/bash
# Both packages build with scripts/package, pass lintian and rpmlint without errors, and hold
# the same files: the daemon, redvipctl, the unit, the sysusers file, the config, the man pages.
set -euo pipefail
src=${REDVIP_SOURCE_DIR:?}
out=${REDVIP_BUILD_DIR:?}/packages
version=$(sed -n 's/^project(redvip VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$out"
rm -f "$out"/redvip_*.deb "$out"/redvip-*.rpm
"$src/scripts/package" deb "$out" >"$out/deb-build.log" 2>&1 || { tail -40 "$out/deb-build.log"; fail "deb build"; }
"$src/scripts/package" rpm "$out" >"$out/rpm-build.log" 2>&1 || { tail -40 "$out/rpm-build.log"; fail "rpm build"; }
deb=$out/redvip_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
rpm_file=$(ls "$out"/redvip-"$version"-1.*.rpm)
[[ -f $deb && -f $rpm_file ]] || fail "packages missing in $out"
echo "built $deb and $rpm_file"

# lintian and rpmlint: warnings are printed, errors fail the test.
lintian_out=$(lintian --display-info --fail-on error "$deb" 2>&1 | grep -v 'running with root privileges') \
  || { echo "$lintian_out"; fail "lintian reports errors"; }
echo "lintian:${lintian_out:+$'\n'}${lintian_out:- clean}"
rpmlint_out=$(rpmlint -c "$src/packaging/rpm/rpmlint.toml" "$rpm_file" 2>&1) \
  || { echo "$rpmlint_out"; fail "rpmlint reports errors"; }
grep -q ' 0 errors' <<<"$rpmlint_out" || { echo "$rpmlint_out"; fail "rpmlint reports errors"; }
grep -E '^redvip|checked' <<<"$rpmlint_out" || true

# The same files in both, and the ones the issue asks for. The unit is in /lib on Debian 12.
expected=(/etc/redvip/redvip.conf /usr/sbin/redvipd /usr/lib/systemd/system/redvip.service
          /usr/lib/sysusers.d/redvip.conf /usr/share/man/man8/redvipd.8
          /usr/share/man/man5/redvip.conf.5 /usr/bin/redvipctl /usr/share/man/man1/redvipctl.1
          /usr/share/redvip/grafana/redvip.json)
normalize() {  # file paths only, no docs/licences/build-ids, one unit dir, no compression suffix
  grep -v '/$' | sed -e 's|^\./|/|' -e 's|^/lib/systemd/|/usr/lib/systemd/|' -e 's|\.gz$||' \
    | grep -v -e '^/usr/share/doc/' -e '^/usr/share/licenses/' -e '^/usr/lib/\.build-id' | sort
}
deb_files=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | normalize)
rpm_files=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm_file" \
  | awk '{ print $2 (substr($1, 1, 1) == "d" ? "/" : "") }' | normalize)
want=$(printf '%s\n' "${expected[@]}" | sort)
[[ $deb_files == "$want" ]] || { diff <(echo "$want") <(echo "$deb_files") || true; fail ".deb files differ from the expected list"; }
[[ $rpm_files == "$want" ]] || { diff <(echo "$want") <(echo "$rpm_files") || true; fail ".rpm files differ from the expected list"; }
echo "both packages hold: ${expected[*]}"

# Package metadata that makes the files work: a conffile, the user, the unit's paths.
ctl=$(mktemp -d)
trap 'rm -rf "$ctl"' EXIT
dpkg-deb -e "$deb" "$ctl"
grep -qx /etc/redvip/redvip.conf "$ctl/conffiles" || fail "redvip.conf is not a conffile"
grep -q 'systemd-sysusers.*redvip.conf' "$ctl/postinst" || fail "postinst does not create the user"
# Installing must not enable or start the service (it needs a configuration first).
grep -q 'deb-systemd-invoke start\|deb-systemd-helper enable' "$ctl/postinst" &&
  ! grep -q 'was-enabled' "$ctl/postinst" && fail "postinst enables or starts the service"
rpm -qp --scripts "$rpm_file" | grep -q 'useradd -r -g redvip' || fail "rpm %pre does not create the user"
rpm -qp --configfiles "$rpm_file" | grep -qx /etc/redvip/redvip.conf || fail "rpm: redvip.conf is not %config"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./lib/systemd/system/redvip.service >"$ctl/unit"
grep -qx 'ExecStart=/usr/sbin/redvipd -f /etc/redvip/redvip.conf' "$ctl/unit" || fail "unit ExecStart"
grep -qx 'User=redvip' "$ctl/unit" || fail "unit User"
grep -qx 'LimitNOFILE=65536' "$ctl/unit" || fail "unit LimitNOFILE (soft 1024 runs out under idle clients)"
echo "pkg_build: ok"
