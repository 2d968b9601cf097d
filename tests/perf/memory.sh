#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# perf/common/memory.sh, the memory perf/bench, perf/plot and node-loadgen
# give their DPDK processes: a bad mode is refused, 4k means --no-huge,
# auto takes hugepages when the kernel has them (and a DPDK process then
# really runs on them), and release leaves vm.nr_hugepages and the mounts
# as they were.  Needs root.
#   memory.sh SOURCE_DIR
set -Eeuo pipefail
src=$1
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: needs root (vm.nr_hugepages, mount)"
  exit 77
fi
# shellcheck source=tests/support/lib.sh
source "$src/tests/support/lib.sh"
# shellcheck source=perf/common/memory.sh
source "$src/perf/common/memory.sh"
# testpmd's EAL runtime directory goes too (DPDK 22.11 leaves it behind)
trap 'perf_memory_release; rm -rf /var/run/dpdk/hy-tmem-$$' EXIT
mounts() { grep ' hugetlbfs ' /proc/mounts | sort || true; }
nr0=$(cat /proc/sys/vm/nr_hugepages) m0=$(mounts)

if out=$(perf_memory_choose fast 4 2>&1); then
  fail "mode 'fast' accepted"
else
  grep -q "auto, hugepages or 4k, got 'fast'" <<<"$out" && ok "a bad mode is refused: $out" ||
    fail "bad mode: unexpected message '$out'"
fi

perf_memory_choose 4k 4
[[ $PERF_MEMORY == 4k && $(perf_eal_memory 64) == "--no-huge -m 64" ]] &&
  ok "4k: --no-huge" || fail "4k gave $PERF_MEMORY, '$(perf_eal_memory 64)'"

perf_memory_choose auto 16
if [[ $PERF_MEMORY == hugepages ]]; then
  free=$(perf_hp_free_mb)
  ((free >= 16)) && ok "auto: hugepages, $free MB free" || fail "auto: hugepages but $free MB free"
  [[ $(perf_eal_memory 64) == "--huge-unlink -m 64" ]] || fail "hugepages: '$(perf_eal_memory 64)'"
  # EAL starts on them: the pages in use move while it runs
  log=$(mktemp)
  # shellcheck disable=SC2046 # EAL's memory options are several words
  dpdk-testpmd -l 0 $(perf_eal_memory 8) --no-pci --file-prefix="hy-tmem-$$" \
    --vdev net_null0 --log-level=lib.eal:error -- --no-lsc-interrupt --total-num-mbufs=2048 \
    --stats-period=1 >"$log" 2>&1 &
  tp=$!
  took() { (($(perf_hp_free_mb) < free)); }
  if wait_for 20 took; then
    ok "testpmd runs on hugepages"
  else
    fail "testpmd took no hugepages"; cat "$log"
  fi
  kill -INT "$tp" 2>/dev/null || true
  wait "$tp" 2>/dev/null || true
  rm -f "$log"
else
  echo "no hugepages on this machine: auto chose 4 KiB pages"
  [[ $(perf_eal_memory 64) == "--no-huge -m 64" ]] || fail "auto fallback: '$(perf_eal_memory 64)'"
fi

perf_memory_release
[[ $(cat /proc/sys/vm/nr_hugepages) == "$nr0" ]] && ok "vm.nr_hugepages back to $nr0" ||
  fail "vm.nr_hugepages $(cat /proc/sys/vm/nr_hugepages), was $nr0"
[[ $(mounts) == "$m0" ]] && ok "hugetlbfs mounts as they were" || fail "mounts changed: $(mounts)"
exit $status
