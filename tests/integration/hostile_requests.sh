#!/bin/bash
# What a local user can throw at redvipd's endpoints and paths:
# - control_socket naming a regular file: `redvipd -t` says so, start fails saying so, and the
#   file is left as it was;
# - metrics: 404 on another path, 405 on another method, 431 on a 10 MB header, 200 on /metrics;
# - the control socket: a long line, a binary line and an unknown command get short printable
#   replies that do not repeat what was sent;
# - log format: a timestamp and no "<N>" prefix on a file; the prefix and no timestamp when
#   JOURNAL_STREAM names stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
require_cmd python3

METRICS_PORT=9654
topo_init rvq
topo_host n1 10.84.0.1

conf() {
  local socket=$1
  cat <<CONF
redvip_defs {
    control_socket $socket
    metrics_address 127.0.0.1:$METRICS_PORT
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 62
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        10.84.0.200/24
    }
}
CONF
}

# --- a regular file where the control socket goes
FILE="$TOPO_TMP/not-a-socket"
echo "precious data" >"$FILE"
conf "$FILE" >"$TOPO_TMP/file.conf"
if out=$("$REDVIPD" -t -f "$TOPO_TMP/file.conf" 2>&1); then fail "-t accepted a control_socket that is a regular file: $out"; fi
[[ "$out" == *"control_socket $FILE: "*"not a socket"* ]] || fail "-t does not say what is wrong: $out"
pass "-t reports a control_socket that exists and is not a socket"

if topo_exec n1 "$REDVIPD" -f "$TOPO_TMP/file.conf" >"$TOPO_TMP/file.log" 2>&1; then
  fail "redvipd started on a control_socket that is a regular file"
fi
grep -q "cannot listen on the control socket $FILE: the path exists and is not a socket" "$TOPO_TMP/file.log" ||
  fail "start does not say why it failed: $(cat "$TOPO_TMP/file.log")"
[[ "$(cat "$FILE")" == "precious data" ]] || fail "the file at control_socket was changed or removed"
pass "start refuses a regular file at control_socket and leaves it alone"

# --- log format: a file gets timestamps and no priority; the journal the other way round
"$REDVIPD" -t -f "$TOPO_TMP/file.conf" 2>"$TOPO_TMP/plain.log" >/dev/null || true
grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} control_socket ' "$TOPO_TMP/plain.log" ||
  fail "a log line to a file lacks its timestamp: $(cat "$TOPO_TMP/plain.log")"
! grep -q '^<[0-9]>' "$TOPO_TMP/plain.log" || fail "a log line to a file has a priority prefix: $(cat "$TOPO_TMP/plain.log")"
: >"$TOPO_TMP/journal.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TOPO_TMP/journal.log") "$REDVIPD" -t -f "$TOPO_TMP/file.conf" \
  2>>"$TOPO_TMP/journal.log" >/dev/null || true
grep -q '^<3>control_socket ' "$TOPO_TMP/journal.log" ||
  fail "a log line to the journal lacks its priority or has a timestamp: $(cat "$TOPO_TMP/journal.log")"
# An inherited JOURNAL_STREAM naming some other file does not count.
JOURNAL_STREAM=1:1 "$REDVIPD" -t -f "$TOPO_TMP/file.conf" 2>"$TOPO_TMP/inherited.log" >/dev/null || true
! grep -q '^<[0-9]>' "$TOPO_TMP/inherited.log" || fail "a JOURNAL_STREAM naming another file made the prefix appear"
pass "log lines: timestamp on a file, <N> prefix only when JOURNAL_STREAM names stderr"

# --- a running daemon
SOCK=$(node_sock n1)
conf "$SOCK" >"$TOPO_TMP/n1.conf"
start_redvipd n1 "$TOPO_TMP/n1.conf"
wait_until 5 test -S "$SOCK" || fail "redvipd did not start: $(tail -5 "$TOPO_TMP/n1.log")"

cat >"$TOPO_TMP/http.py" <<'PY'
import socket, sys, threading
port, what = int(sys.argv[1]), sys.argv[2]
requests = {
    "root": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "post": b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
    "huge": b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (10 * 1024 * 1024) + b"\r\n\r\n",
    "metrics": b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
}
s = socket.create_connection(("127.0.0.1", port), timeout=5)
# Send on a thread and read at the same time, like a client that watches for an early answer.
def send():
    try:
        s.sendall(requests[what])
    except OSError:
        pass
sender = threading.Thread(target=send, daemon=True)
sender.start()
reply = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
except OSError as e:
    if not reply:
        print("error", e)
print(reply.split(b"\r\n", 1)[0].decode("ascii", "replace"))
PY
http() { topo_exec n1 python3 "$TOPO_TMP/http.py" "$METRICS_PORT" "$1"; }
[[ "$(http root)" == "HTTP/1.1 404 Not Found" ]] || fail "GET / answered $(http root)"
[[ "$(http post)" == "HTTP/1.1 405 Method Not Allowed" ]] || fail "POST answered $(http post)"
[[ "$(http huge)" == "HTTP/1.1 431 Request Header Fields Too Large" ]] || fail "a 10 MB header answered $(http huge)"
[[ "$(http metrics)" == "HTTP/1.1 200 OK" ]] || fail "GET /metrics answered $(http metrics)"
pass "metrics: 404, 405, 431 for a 10 MB header, 200 on /metrics"

cat >"$TOPO_TMP/ctl.py" <<'PY'
import socket, sys
path, what = sys.argv[1], sys.argv[2]
requests = {
    "long": b"A" * 100000 + b"\n",
    "binary": bytes(range(256)).replace(b"\n", b"") + b"\n",
    "unknown": b"x" * 1000 + b"\n",
}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(path)
try:
    s.sendall(requests[what])
except OSError:
    pass
reply = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
except OSError:
    pass
# Printable ASCII with its final newline, or say what else it holds.
text = reply[:-1] if reply.endswith(b"\n") else reply
print(text.decode() if all(0x20 <= c <= 0x7e for c in text) else "UNPRINTABLE %r" % reply[:200])
PY
check_reply() {
  local what=$1 raw
  raw=$(python3 "$TOPO_TMP/ctl.py" "$SOCK" "$what")
  [[ "$raw" == error:* ]] || fail "$what request: the reply is not a printable error: ${raw:0:200}"
  (( ${#raw} <= 100 )) || fail "$what request: a ${#raw}-byte reply (the request echoed?): ${raw:0:120}"
  echo "  $what: $raw"
}
check_reply long
check_reply binary
check_reply unknown
"$REDVIPCTL" -s "$SOCK" status | grep -q "^VI_1: " || fail "status after the bad requests"
pass "control socket: bounded printable errors for long, binary and unknown requests"
