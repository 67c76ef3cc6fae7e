#!/bin/bash
# The configuration examples people copy must pass `redvipd -t`: every fenced block in README.md
# right after a `<!-- config-example ... -->` line, and the sample packaged as
# /etc/redvip/redvip.conf. No root, no network: -t only reads the file.
set -euo pipefail
: "${REDVIP_BUILD_DIR:?set by CTest}" "${REDVIP_SOURCE_DIR:?set by CTest}"
REDVIPD="$REDVIP_BUILD_DIR/agent/daemon/redvipd"
README="${README:-$REDVIP_SOURCE_DIR/README.md}"
SAMPLE="${SAMPLE:-$REDVIP_SOURCE_DIR/packaging/redvip.conf}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# Write each marked block to $TMP/example-N.conf, named by its README line in $TMP/lines.
awk -v dir="$TMP" '
  /^<!-- config-example/ { marked = NR; next }
  marked && !inside && /^```/ { inside = 1; n++; file = dir "/example-" n ".conf";
                                print marked > (dir "/lines"); printf "" > file; next }
  inside && /^```/ { inside = 0; marked = 0; close(file); next }
  inside { print >> file }
  marked && !inside && NF { marked = 0 }  # a marker not followed by a fence marks nothing
' "$README"
shopt -s nullglob
examples=("$TMP"/example-*.conf)
((${#examples[@]} > 0)) || fail "no <!-- config-example --> block found in $README"
mapfile -t lines <"$TMP/lines"

check() {
  local file=$1 what=$2 out
  if ! out=$("$REDVIPD" -t -f "$file" 2>&1); then
    echo "$out" >&2
    fail "redvipd -t rejects $what"
  fi
  echo "ok: $what"
}

for i in "${!examples[@]}"; do
  check "$TMP/example-$((i + 1)).conf" "the config example at README.md:${lines[$i]}"
done
check "$SAMPLE" "the packaged sample ${SAMPLE#"$REDVIP_SOURCE_DIR"/}"
echo "PASS: ${#examples[@]} README example(s) and the packaged sample pass redvipd -t"
