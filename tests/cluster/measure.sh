#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Failover figures for docs/performance.md ("Cluster failover"): runs the
# failover-kill, pause-resume and cut-candidate scenarios of run.sh several
# times (each on a fresh devnet of three nodes) and prints min, median and
# max of every "measure:" line they print.  Needs root.
#   tests/cluster/measure.sh [--build DIR] [--runs N] [--heartbeat-ms MS]
#                            [--election-timeout-ms MS]
# Defaults: --build build, --runs 5, MARS timings as configured by default
# (heartbeat 250 ms, election timeout 1000 ms).  Output of every run goes
# to a temporary directory named at the end.
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$src/build runs=5 opts=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --heartbeat-ms|--election-timeout-ms) opts+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '3,11p' "$0"; exit 0 ;;
    *) echo "measure.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "measure.sh: --runs: a number from 1" >&2; exit 2; }
out=$(mktemp -d /tmp/hayate-cluster-measure.XXXXXX)
echo "settings: ${opts[*]:-defaults (heartbeat 250 ms, election timeout 1000 ms)}; $runs runs; logs in $out"
failed=0
for ((r = 1; r <= runs; r++)); do
  for s in failover-kill pause-resume cut-candidate; do
    if HAYATE_CLUSTER_UP_OPTS="${opts[*]}" "$here/run.sh" "$s" "$build" "$src" \
         >"$out/$s.$r.log" 2>&1; then
      grep '^measure:' "$out/$s.$r.log" | sed "s/^/run $r $s: /"
    else
      echo "run $r $s: FAILED (see $out/$s.$r.log)"
      failed=$((failed + 1))
    fi
  done
done
echo "summary (ms):"
cat "$out"/*.log | sed -n 's/^measure: \([a-z_]*\)=\([0-9]*\)$/\1 \2/p' | sort -k1,1 -k2,2n |
  awk '{ v[$1] = v[$1] " " $2; n[$1]++ }
       END {
         for (k in v) {
           m = split(substr(v[k], 2), a, " ")
           med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
           printf "  %-20s n=%d min=%d median=%d max=%d  (%s)\n", k, m, a[1], med, a[m], substr(v[k], 2)
         }
       }' | sort
((failed == 0)) || { echo "$failed run(s) failed"; exit 1; }
