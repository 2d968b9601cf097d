#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The latency baseline of perf/bench and perf/plot: hayate-loadgen --mode
# reflect into dpdk-testpmd --forward-mode=5tswap over a memif pair
# (perf/common/testpmd.sh's testpmd_round), briefly, at a low rate: every
# broadcast comes back, opens with its sender's key and is timed.  On 4 KiB
# pages.
#   reflect.sh SOURCE_DIR BUILD_DIR
set -Eeuo pipefail
src=$1 build=$2
# shellcheck source=tests/support/lib.sh
source "$src/tests/support/lib.sh"
# shellcheck source=perf/common/memory.sh
source "$src/perf/common/memory.sh"
# shellcheck source=perf/common/testpmd.sh
source "$src/perf/common/testpmd.sh"
command -v dpdk-testpmd >/dev/null || { echo "skipped: dpdk-testpmd missing"; exit 77; }
lg=$build/perf/loadgen/hayate-loadgen
tmp=$(mktemp -d /tmp/hy-treflect.XXXXXX)
tp_prefix=hy-treflect-$$ pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp" /var/run/dpdk/"$tp_prefix"-*
}
trap cleanup EXIT
perf_memory_choose 4k 0

# 20000 broadcasts a second for 2 s, figures every 250 ms (the first a warm-up)
line=$(testpmd_round 5tswap --mode reflect --sessions 8 --payload 64 --seconds 2 \
  --rate 20000 --interval-ms 250 --open-every 1)
echo "$line"
field() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<"$line"; }
if [[ $line == 'BENCH name=reflect '* ]]; then
  ok "a reflect run: $(field value) M reflections/s"
else
  fail "no BENCH line from the reflect run"
  cat "$tmp/lg-tp.out" "$tmp/testpmd.log" 2>/dev/null || true
  exit 1
fi
# all of the offered rate came back (the figures are medians, in M/s)
awk -v v="$(field value)" -v o="$(field offered)" 'BEGIN { exit !(v >= 0.019 && v >= 0.99 * o) }' &&
  ok "every broadcast came back and opened" || fail "value $(field value), offered $(field offered)"
awk -v p50="$(field p50_us)" -v p99="$(field p99_us)" 'BEGIN { exit !(p50 > 0 && p99 >= p50) }' &&
  ok "timed: p50 $(field p50_us) us, p99 $(field p99_us) us" ||
  fail "latency: p50 '$(field p50_us)', p99 '$(field p99_us)'"
grep -q 'rx_bad=0 ' "$tmp/lg-tp.out" && ! grep '^interval' "$tmp/lg-tp.out" | grep -qv ' rx_bad=0 ' &&
  ok "nothing failed to open" || fail "reflections that did not open: $(grep -o 'rx_bad=[0-9]*' "$tmp/lg-tp.out" | tr '\n' ' ')"
exit $status
