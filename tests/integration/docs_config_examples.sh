#!/bin/bash
# The configuration examples people copy must pass `redvipd -t`: every fenced block in README.md
# right after a `<!-- config-example ... -->` line, every .nf/.fi block of redvip.conf(5) right
# after a `.\" config-example` line, and the sample packaged as /etc/redvip/redvip.conf.
# No root, no network: -t only reads the file.
set -euo pipefail
: "${REDVIP_BUILD_DIR:?set by CTest}" "${REDVIP_SOURCE_DIR:?set by CTest}"
REDVIPD="$REDVIP_BUILD_DIR/agent/daemon/redvipd"
README="${README:-$REDVIP_SOURCE_DIR/README.md}"
SAMPLE="${SAMPLE:-$REDVIP_SOURCE_DIR/packaging/redvip.conf}"
MANPAGE="${MANPAGE:-$REDVIP_SOURCE_DIR/packaging/man/redvip.conf.5}"
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

# redvip.conf(5): the same with roff's .nf/.fi, its escapes undone.
awk -v dir="$TMP" '
  /^\.\\" config-example/ { marked = NR; next }
  marked && !inside && /^\.nf/ { inside = 1; n++; file = dir "/man-" n ".conf";
                                print marked > (dir "/man-lines"); printf "" > file; next }
  inside && /^\.fi/ { inside = 0; marked = 0; close(file); next }
  inside { gsub(/\\-/, "-"); gsub(/\\e/, "\\"); print >> file }
  marked && !inside { marked = 0 }
' "$MANPAGE"
man_examples=("$TMP"/man-*.conf)
((${#man_examples[@]} > 0)) || fail "no config-example block found in $MANPAGE"
mapfile -t man_lines <"$TMP/man-lines"
for i in "${!man_examples[@]}"; do
  check "$TMP/man-$((i + 1)).conf" "the config example at ${MANPAGE##*/}:${man_lines[$i]}"
done

check "$SAMPLE" "the packaged sample ${SAMPLE#"$REDVIP_SOURCE_DIR"/}"
echo "PASS: ${#examples[@]} README and ${#man_examples[@]} redvip.conf(5) example(s) and the" \
  "packaged sample pass redvipd -t"
