#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# perf/bench end to end, as short as it goes (--rounds 1 --seconds 1, 4 KiB
# pages): every scenario prints its BENCH line with a figure, a baseline
# measured in the same run and their ratio, then the table, and the run
# exits 0 (perf/bench exits 1 when a figure or baseline is missing) and
# leaves no node or namespace behind.  No rate is asserted.  About two
# minutes; pins CPUs 0 and 1, so it runs alone.
#   bench.sh SOURCE_DIR BUILD_DIR
set -Eeuo pipefail
src=$1 build=$2
# shellcheck source=tests/support/lib.sh
source "$src/tests/support/lib.sh"
out=$(mktemp /tmp/hy-tbench.XXXXXX)
trap 'rm -f "$out"' EXIT

rc=0
"$src/perf/bench" --build "$build" --rounds 1 --seconds 1 --memory 4k >"$out" 2>&1 || rc=$?
if ((rc == 0)); then ok "perf/bench exited 0"; else fail "perf/bench exited $rc"; tail -40 "$out"; fi
for name in flood_drop relay_1to1 fanout_1to8 enet_relay enet_relay_1to8 enet_relay_reliable \
  enet_relay_reliable_1to8 connect_storm http_auth; do
  line=$(grep "^BENCH name=$name " "$out" || true)
  v=$(sed -n 's/.* value=\([^ ]*\) .*/\1/p' <<<"$line")
  b=$(sed -n 's/.* baseline=\([^ ]*\) .*/\1/p' <<<"$line")
  r=$(sed -n 's/.* ratio=\([^ ]*\) .*/\1/p' <<<"$line")
  if awk -v v="$v" -v b="$b" -v r="$r" 'BEGIN { exit !(v > 0 && b > 0 && r > 0) }'; then
    ok "$name: $v against $b, ratio $r"
  else
    fail "$name: value '$v', baseline '$b', ratio '$r'"
  fi
done
grep -q '^scenario  *value unit  *baseline  *ratio' "$out" && ok "the table follows" ||
  fail "no table"
[[ -z $(perf_runs_left) ]] && ok "no node or namespace left" || fail "left behind: $(perf_runs_left)"
exit $status
