# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by perf/bench and perf/plot: one run of hayate-loadgen against
# dpdk-testpmd over a memif pair of its own, testpmd's forwarding lcore on
# CPU 1 and the generator on CPU 0.  The caller sets lg (the generator),
# tmp (a scratch directory), tp_prefix (EAL file prefixes) and pids (an
# array its cleanup kills), and has chosen the memory (memory.sh).
# shellcheck disable=SC2154 # lg, tmp, tp_prefix: the caller's

# testpmd_round MODE GENERATOR_ARGS...: dpdk-testpmd --forward-mode=MODE in
# the node's place, the memif server, and hayate-loadgen the client
# (addressing a node 198.18.0.1 at 02:00:00:00:00:01 that testpmd stands in
# for), as against the node: each side of the link pays what it pays
# against the node (memif's server and client do not cost the same: the
# generator offered 49 Mpps as the server, 7.5-9.8 as the client, on the
# development VM).  Prints the generator's BENCH line.
testpmd_round() {
  local out=$tmp/lg-tp.out tp mode=$1
  shift
  # shellcheck disable=SC2046
  dpdk-testpmd -l 0,1 $(perf_eal_memory 256) --no-pci --file-prefix="$tp_prefix-tp" \
    --vdev "net_memif0,role=server,socket=$tmp/tp.sock" --log-level=lib.eal:error -- \
    --forward-mode="$mode" --auto-start --stats-period=1 --total-num-mbufs=16384 \
    --no-lsc-interrupt >"$tmp/testpmd.log" 2>&1 &
  tp=$!
  pids+=("$tp")
  # (--stats-period keeps testpmd running without a terminal to read)
  sleep 0.5
  # shellcheck disable=SC2046
  taskset -c 0 "$lg" -l 0 $(perf_eal_memory 512) --no-pci --file-prefix="$tp_prefix-lgt" \
    --vdev "net_memif0,role=client,socket=$tmp/tp.sock" --log-level=lib.eal:error -- \
    --node-ip 198.18.0.1 --node-mac 02:00:00:00:00:01 "$@" >"$out" 2>&1 || true
  # the sender stops first, then the receiver
  kill -INT "$tp" 2>/dev/null || true
  wait "$tp" 2>/dev/null || true
  grep '^BENCH' "$out" || { echo "testpmd $mode round failed:" >&2; cat "$out" >&2; }
}
