#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# perf/bench and perf/plot check their whole command line before they start
# anything: a bad value is refused with exit status 2 and a message naming
# the option, and no node or namespace is set up for it.  hayate-loadgen and
# the micro-benchmarks refuse a bad number the same way (atoi took "12x" as
# 12 and "x" as 0).
#   args.sh SOURCE_DIR BUILD_DIR
set -Eeuo pipefail
src=$1 build=$2
# shellcheck source=tests/support/lib.sh
source "$src/tests/support/lib.sh"

# what a run would have set up: its devnet (named bnNNNN or plNNNN) and namespaces
state() {
  { ls /run/hayate-devnet 2>/dev/null; ip netns list 2>/dev/null; } | grep -E '(^|hayate-)(bn|pl)[0-9]+' || true
}
before=$(state)
# refused PROG EXPECTED-TEXT ARGS...
refused() {
  local prog=$1 want=$2 rc=0 err
  shift 2
  err=$("$src/perf/$prog" "$@" 2>&1 >/dev/null) || rc=$?
  if ((rc == 2)) && [[ $err == *"$want"* ]]; then
    ok "$prog $*: refused ($err)"
  else
    fail "$prog $*: exit $rc, '$err' (wanted 2 and '$want')"
  fi
}
for prog in bench plot; do
  refused "$prog" "--rounds wants a whole number 1..20, got '0'" --rounds 0
  refused "$prog" "--rounds wants a whole number 1..20, got '08'" --rounds 08
  refused "$prog" "--rounds wants a whole number 1..20, got '21'" --rounds 21
  refused "$prog" "--seconds wants a number 1..60, got 'x'" --seconds x
  refused "$prog" "--seconds wants a number 1..60, got '0.5'" --seconds 0.5
  refused "$prog" "--memory is auto, hugepages or 4k, got '2m'" --memory 2m
  refused "$prog" "--build needs a value" --build
  refused "$prog" "unknown option '--bogus'" --bogus
done
refused bench "--only: no scenario 'relay'" --only relay
refused bench "--only: no scenario 'nope'" --only relay_1to1,nope
refused plot "--out needs a value" --out
for prog in bench plot; do
  if "$src/perf/$prog" --help | grep -q -- '--rounds N'; then
    ok "$prog --help lists its options"
  else
    fail "$prog --help does not list --rounds"
  fi
done
[[ $(state) == "$before" ]] && ok "nothing was started" || fail "state changed: $(state)"

prefix=hy-targs-$$
trap 'rm -rf /var/run/dpdk/"$prefix"' EXIT
# lg_refused EXPECTED-TEXT ARGS...: hayate-loadgen in relay mode with ARGS
lg_refused() {
  local want=$1 rc=0 err
  shift
  err=$("$build/perf/loadgen/hayate-loadgen" --no-huge --no-pci -m 64 --file-prefix="$prefix" \
    --log-level=lib.eal:error -- --mode relay --node-ip 198.18.0.1 --key-file /dev/null "$@" \
    2>&1 >/dev/null) || rc=$?
  err=$(grep -v '^TELEMETRY' <<<"$err" || true)
  if ((rc == 2)) && [[ $err == *"$want"* ]]; then
    ok "hayate-loadgen $*: refused ($err)"
  else
    fail "hayate-loadgen $*: exit $rc, '$err' (wanted 2 and '$want')"
  fi
}
lg_refused "--sessions wants a whole number 1..240000, got '12x'" --sessions 12x
lg_refused "--seconds wants a number 0.01..86400, got 'x'" --seconds x
lg_refused "--room-size wants a whole number 2..1024, got '1'" --room-size 1
lg_refused "--payload wants a whole number 16..1200, got '8'" --payload 8
lg_refused "--payload 1100: at most 1024" --payload 1100
lg_refused "--node-port wants a whole number 1..65535, got '70000'" --node-port 70000
lg_refused "--rate wants a number 0..1e+09, got '-5'" --rate -5
lg_refused "--interval-ms wants a whole number 10..60000, got '5'" --interval-ms 5

# bin_refused PROGRAM EXPECTED-TEXT ARGS...: a micro-benchmark, which checks
# its options before it sets anything up
bin_refused() {
  local bin=$1 want=$2 rc=0 err
  shift 2
  err=$("$build/perf/$bin" "$@" 2>&1 >/dev/null) || rc=$?
  if ((rc == 2)) && [[ $err == *"$want"* ]]; then
    ok "$bin $*: refused ($err)"
  else
    fail "$bin $*: exit $rc, '$err' (wanted 2 and '$want')"
  fi
}
bin_refused aead/bench_aead "--cpu wants a whole number 0..1023, got 'x'" --cpu x
bin_refused aead/bench_gcm_api "--rounds wants a whole number 1..64, got '0'" --rounds 0
bin_refused engine/bench_engine "--sessions wants a whole number 1..16777216, got '12x'" --sessions 12x
bin_refused rooms/bench_relay "--fanout wants a whole number 1..64, got '65'" --fanout 65
bin_refused ring/bench_ring "-s wants a power of two, got 1000" -s 1000
bin_refused ring/bench_ring "-p wants a whole number 0..1023, got '-1'" -p -1
exit $status
