# A Debian 12 system booted under systemd-nspawn with systemd as PID 1, for tests of the packages
# and of redvip.service under a real service manager. The host need not run systemd: the
# container is started with --register=no --keep-unit (no machined, no D-Bus on the host).
#
#   source lib/nspawn.sh
#   nspawn_init sdsvc                  # prefix; makes $NSPAWN_DIR, shared with the container
#   nspawn_root PKG... || exit $?      # the cached root (77: no Debian mirror, the test skips)
#   cp files "$NSPAWN_DIR"/            # the container sees $NSPAWN_DIR as /redvip-test
#   cat >"$NSPAWN_DIR/run" <<'EOF'     # the checks, run as root by a oneshot unit at boot
#   ...                                # they must end by writing "PASS" to /redvip-test/result
#   EOF
#   nspawn_boot 300                    # boots, waits for the poweroff (at most 300 s)
#   nspawn_result                      # 0 when /redvip-test/result says PASS
#
# The root is made once by debootstrap (minbase) from the Debian mirror the host's apt uses (or
# $REDVIP_NSPAWN_MIRROR) and cached in $REDVIP_NSPAWN_CACHE (default /var/cache/redvip-nspawn),
# one directory per package list and recipe version. Every boot runs on a tmpfs overlay (--volatile=overlay): the cached
# root is never changed. The container has its own network namespace (--private-network) with
# only lo: the tests make their veth pairs and namespaces inside it.

NSPAWN_CACHE=${REDVIP_NSPAWN_CACHE:-/var/cache/redvip-nspawn}
NSPAWN_SUITE=bookworm
# Bump when the recipe below changes, so cached roots made by an older recipe are not reused.
NSPAWN_RECIPE=2
# What every test container has besides minbase. redvip's own dependencies are added by the
# caller (from the .deb's Depends), so the root has exactly what `apt install ./redvip.deb`
# would bring: a unit line that needs a program the package does not depend on fails inside.
# redis-server: the upgrade test's Redis pair; rpm: the .rpm's scriptlets run under systemd too.
NSPAWN_BASE_PACKAGES=(systemd systemd-sysv dbus iproute2 redis-server rpm)

nspawn_init() {
  NSPAWN_ID="${1}$$"
  NSPAWN_PID=
  NSPAWN_DIR=$(mktemp -d "/tmp/redvip-${NSPAWN_ID}.XXXXXX")
  chmod 0755 "$NSPAWN_DIR"
  trap nspawn_cleanup EXIT
  trap 'exit 130' INT TERM
}

# The mirror the host's apt uses for Debian's main archive (deb822 or one-line form), unless
# REDVIP_NSPAWN_MIRROR names another.
nspawn_mirror() {
  local uri
  [[ -n ${REDVIP_NSPAWN_MIRROR:-} ]] && { echo "$REDVIP_NSPAWN_MIRROR"; return; }
  uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' 2>/dev/null \
        | awk -v s="$NSPAWN_SUITE" '$2 == s { print $1; exit }')
  echo "$uri"
}

# nspawn_root [EXTRA_PACKAGE...]: sets NSPAWN_ROOT to a ready root holding the base packages and
# the extra ones; makes it when it is not cached. Returns 77 when the mirror cannot be reached.
nspawn_root() {
  local packages key mirror tmp rc=0 started=$SECONDS
  packages=$(printf '%s\n' "${NSPAWN_BASE_PACKAGES[@]}" "$@" | sort -u | paste -sd, -)
  mirror=$(nspawn_mirror)
  [[ -n $mirror ]] || { echo "SKIP: the host's apt configuration names no $NSPAWN_SUITE mirror"; return 77; }
  key=$(printf '%s\n' "$NSPAWN_RECIPE" "$NSPAWN_SUITE" "$mirror" "$packages" | sha256sum | cut -c1-16)
  NSPAWN_ROOT=$NSPAWN_CACHE/$NSPAWN_SUITE-$key
  mkdir -p "$NSPAWN_CACHE"
  # One maker at a time; a second test waits and then finds the root made.
  exec {lock}>"$NSPAWN_CACHE/.lock"
  flock "$lock"
  if [[ -f $NSPAWN_ROOT/.redvip-ready ]]; then
    exec {lock}>&-
    echo "nspawn: cached root $NSPAWN_ROOT"
    return 0
  fi
  command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null \
    || { exec {lock}>&-; echo "SKIP: debootstrap or systemd-nspawn is not installed (scripts/bootstrap)"; return 77; }
  echo "nspawn: making $NSPAWN_ROOT from $mirror ($packages)"
  tmp=$NSPAWN_ROOT.tmp
  rm -rf "$tmp"
  debootstrap --variant=minbase --include="$packages" "$NSPAWN_SUITE" "$tmp" "$mirror" \
    >"$NSPAWN_CACHE/debootstrap.log" 2>&1 || rc=$?
  if ((rc)); then
    rm -rf "$tmp"
    exec {lock}>&-
    tail -5 "$NSPAWN_CACHE/debootstrap.log" >&2
    if grep -qiE 'Failed getting release file|Temporary failure resolving|Could not connect|Connection (refused|timed out)|Network is unreachable|Couldn.t download' \
         "$NSPAWN_CACHE/debootstrap.log"; then
      echo "SKIP: the Debian mirror $mirror cannot be reached"
      return 77
    fi
    echo "nspawn: debootstrap failed ($NSPAWN_CACHE/debootstrap.log)" >&2
    return 1
  fi
  nspawn_customize "$tmp"
  # Roots of other package lists or recipes are stale: keep the cache to one root.
  find "$NSPAWN_CACHE" -mindepth 1 -maxdepth 1 -type d -name "$NSPAWN_SUITE-*" \
       ! -path "$NSPAWN_ROOT" ! -path "$tmp" -exec rm -rf {} +
  touch "$tmp/.redvip-ready"
  mv "$tmp" "$NSPAWN_ROOT"
  exec {lock}>&-
  echo "nspawn: root made in $((SECONDS - started)) s"
}

# What the tests need in every root: the host's apt configuration, no services of its own
# started at boot, and the oneshot unit that runs /redvip-test/run and powers off.
nspawn_customize() {
  local root=$1
  # The host's sources replace debootstrap's (both would name the same archive twice).
  rm -f "$root/etc/apt/sources.list"
  cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/" 2>/dev/null || true
  [[ -f /etc/apt/sources.list ]] && cp /etc/apt/sources.list "$root/etc/apt/"
  cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
  echo redvip-test >"$root/etc/hostname"
  # The tests start their own Redis servers, in their own namespaces.
  rm -f "$root"/etc/systemd/system/multi-user.target.wants/redis-server.service
  # Nothing to wait for: the container's network is made by the test itself.
  ln -sf /dev/null "$root/etc/systemd/system/systemd-networkd-wait-online.service"
  cat >"$root/etc/systemd/system/redvip-test.service" <<'UNIT'
[Unit]
Description=redvip tests under systemd (the host bind-mounts /redvip-test)
ConditionPathExists=/redvip-test/run
After=multi-user.target
# Power off however the checks end: the host waits for the container to stop.
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStart=/bin/bash /redvip-test/run
StandardOutput=append:/redvip-test/run.log
StandardError=inherit
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
  ln -sf /etc/systemd/system/redvip-test.service \
     "$root/etc/systemd/system/multi-user.target.wants/redvip-test.service"
}

# nspawn_boot TIMEOUT [NSPAWN_OPTION...]: boots the root with $NSPAWN_DIR at /redvip-test and
# waits until the checks power it off, at most TIMEOUT seconds.
nspawn_boot() {
  local limit=$1 rc=0 started=$SECONDS; shift
  : >"$NSPAWN_DIR/run.log"
  timeout --kill-after=10 "$limit" systemd-nspawn --quiet --boot \
    --directory="$NSPAWN_ROOT" --volatile=overlay --machine="$NSPAWN_ID" \
    --register=no --keep-unit --private-network --console=pipe \
    --bind="$NSPAWN_DIR:/redvip-test" "$@" </dev/null >"$NSPAWN_DIR/console.log" 2>&1 &
  NSPAWN_PID=$!
  wait "$NSPAWN_PID" || rc=$?
  NSPAWN_PID=
  NSPAWN_BOOT_SECONDS=$((SECONDS - started))
  if ((rc == 124 || rc == 137)); then
    echo "nspawn: the container did not power off within $limit s" >&2
  fi
  return 0
}

# 0 when the checks wrote PASS; otherwise shows their log and the console.
nspawn_result() {
  cat "$NSPAWN_DIR/run.log"
  if [[ $(cat "$NSPAWN_DIR/result" 2>/dev/null) == PASS ]]; then
    echo "nspawn: container ran $NSPAWN_BOOT_SECONDS s"
    return 0
  fi
  echo "---- console" >&2
  tail -40 "$NSPAWN_DIR/console.log" >&2
  [[ -f $NSPAWN_DIR/journal.txt ]] && { echo "---- journal (tail)" >&2; tail -80 "$NSPAWN_DIR/journal.txt" >&2; }
  echo "FAIL: $(cat "$NSPAWN_DIR/result" 2>/dev/null || echo 'no result written')" >&2
  return 1
}

# nspawn_deb: NSPAWN_DEB, this tree's .deb in $REDVIP_BUILD_DIR/packages; built by
# scripts/package when missing or older than a source (pkg_build makes it earlier in the suite).
nspawn_deb() {
  local src=${REDVIP_SOURCE_DIR:?} out=${REDVIP_BUILD_DIR:?}/packages version
  version=$(sed -n 's/^project(redvip VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
  NSPAWN_DEB=$out/redvip_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
  mkdir -p "$out"
  if [[ ! -f $NSPAWN_DEB ]] || [[ -n $(find "$src/CMakeLists.txt" "$src/agent" "$src/vrrp" \
                                         "$src/netlink" "$src/packaging" -newer "$NSPAWN_DEB" -print -quit) ]]; then
    echo "nspawn: building $NSPAWN_DEB"
    "$src/scripts/package" deb "$out" >"$out/deb-build.log" 2>&1 \
      || { tail -40 "$out/deb-build.log" >&2; echo "nspawn: deb build failed" >&2; return 1; }
  fi
}

# nspawn_rpm: NSPAWN_RPM, this tree's .rpm, built like nspawn_deb's .deb.
nspawn_rpm() {
  local src=${REDVIP_SOURCE_DIR:?} out=${REDVIP_BUILD_DIR:?}/packages version
  version=$(sed -n 's/^project(redvip VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
  NSPAWN_RPM=$(ls "$out"/redvip-"$version"-1.*.rpm 2>/dev/null | head -n1 || true)
  if [[ -z $NSPAWN_RPM ]] || [[ -n $(find "$src/CMakeLists.txt" "$src/agent" "$src/vrrp" \
                                        "$src/netlink" "$src/packaging" -newer "$NSPAWN_RPM" -print -quit) ]]; then
    echo "nspawn: building the rpm"
    mkdir -p "$out"
    "$src/scripts/package" rpm "$out" >"$out/rpm-build.log" 2>&1 \
      || { tail -40 "$out/rpm-build.log" >&2; echo "nspawn: rpm build failed" >&2; return 1; }
    NSPAWN_RPM=$(ls "$out"/redvip-"$version"-1.*.rpm | head -n1)
  fi
}

# deb_depends DEB: the packages DEB depends on, one a line (of alternatives, the first).
deb_depends() {
  dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' \
    -e 's/[[:space:]]//g' | grep -v '^$' || true
}

# nspawn_share_tool NAME: a test tool of the build (tests/integration/NAME) where the container
# finds it, at /redvip-test/build/tests/integration/NAME. It must run on the root's libraries.
nspawn_share_tool() {
  local tool=${REDVIP_BUILD_DIR:?}/tests/integration/$1 lib missing=()
  [[ -x $tool ]] || { echo "nspawn: $tool is not built" >&2; return 1; }
  mkdir -p "$NSPAWN_DIR/build/tests/integration"
  cp "$tool" "$NSPAWN_DIR/build/tests/integration/"
  for lib in $(ldd "$tool" | awk '$2 == "=>" { print $1 }'); do
    compgen -G "$NSPAWN_ROOT/usr/lib/*/$lib" >/dev/null || compgen -G "$NSPAWN_ROOT/lib/*/$lib" >/dev/null \
      || missing+=("$lib")
  done
  ((${#missing[@]} == 0)) || { echo "nspawn: the root lacks ${missing[*]} for $1" >&2; return 1; }
}

# The checks run inside: lib/ as /redvip-test/lib, then `run` sources nspawn_inside.bash and
# the given script.
nspawn_checks() {
  local here; here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  cp -r "$here" "$NSPAWN_DIR/lib"
  printf 'source /redvip-test/lib/nspawn_inside.bash\nsource /redvip-test/lib/%s\n' "$1" >"$NSPAWN_DIR/run"
}

nspawn_cleanup() {
  local rc=$? i
  set +e
  if [[ -n $NSPAWN_PID ]]; then
    # SIGTERM makes nspawn power the container off; SIGKILL ends its PID 1 and so everything.
    kill -TERM "$NSPAWN_PID" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null
    pkill -KILL -P "$NSPAWN_PID" 2>/dev/null
    wait "$NSPAWN_PID" 2>/dev/null
  fi
  if [[ $rc -ne 0 && $rc -ne 77 && -d $NSPAWN_DIR ]]; then
    echo "---- files kept in $NSPAWN_DIR" >&2
  else
    rm -rf "$NSPAWN_DIR"
  fi
  exit "$rc"
}
