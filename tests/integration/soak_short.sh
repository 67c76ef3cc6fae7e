#!/bin/bash
# A short soak in CI: scripts/soak for 2 minutes with a fixed seed (two nodes, real Redis, a
# client writing through the VIP, a random fault every few seconds, the invariant checker
# throughout). It fails on any broken invariant, prints the soak's summary table, and keeps its
# logs only when it fails.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d /tmp/redvip-soak-short.XXXXXX)
rc=0
"$HERE/../../scripts/soak" --minutes "${SOAK_SHORT_MINUTES:-2}" --nodes 2 --seed 1313 --logs "$logs" || rc=$?
(( rc == 0 )) && rm -rf "$logs"
exit $rc
