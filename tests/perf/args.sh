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
before=$(perf_runs_left)
prefix=hy-targs-$$
trap 'rm -rf /var/run/dpdk/"$prefix"' EXIT

# refused WANT CMD ARGS...: CMD exits with status 2 and says WANT
refused() {
  local want=$1 rc=0 err
  shift
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  err=$(grep -v '^TELEMETRY' <<<"$err" || true)
  if ((rc == 2)) && [[ $err == *"$want"* ]]; then
    ok "${1##*/} ${*:2}: refused ($err)"
  else
    fail "${1##*/} ${*:2}: exit $rc, '$err' (wanted 2 and '$want')"
  fi
}
bench() { "$src/perf/bench" "$@"; }
plot() { "$src/perf/plot" "$@"; }
# hayate-loadgen in relay mode, on no port: its options are checked first
loadgen() {
  "$build/perf/loadgen/hayate-loadgen" --no-huge --no-pci -m 64 --file-prefix="$prefix" \
    --log-level=lib.eal:error -- --mode relay --node-ip 198.18.0.1 --key-file /dev/null "$@"
}

for prog in bench plot; do
  refused "--rounds wants a whole number 1..20, got '0'" $prog --rounds 0
  refused "--rounds wants a whole number 1..20, got '08'" $prog --rounds 08
  refused "--rounds wants a whole number 1..20, got '21'" $prog --rounds 21
  refused "--seconds wants a number 1..60, got 'x'" $prog --seconds x
  refused "--seconds wants a number 1..60, got '0.5'" $prog --seconds 0.5
  refused "--memory is auto, hugepages or 4k, got '2m'" $prog --memory 2m
  refused "--build needs a value" $prog --build
  refused "unknown option '--bogus'" $prog --bogus
  if "$src/perf/$prog" --help | grep -q -- '--rounds N'; then
    ok "$prog --help lists its options"
  else
    fail "$prog --help does not list --rounds"
  fi
done
refused "--only: no scenario 'relay'" bench --only relay
refused "--only: no scenario 'nope'" bench --only relay_1to1,nope
refused "--out needs a value" plot --out
[[ $(perf_runs_left) == "$before" ]] && ok "nothing was started" ||
  fail "a run was set up: $(perf_runs_left)"

refused "--sessions wants a whole number 1..240000, got '12x'" loadgen --sessions 12x
refused "--seconds wants a number 0.01..86400, got 'x'" loadgen --seconds x
refused "--room-size wants a whole number 2..1024, got '1'" loadgen --room-size 1
refused "--payload wants a whole number 16..1200, got '8'" loadgen --payload 8
refused "--payload 1100: at most 1024" loadgen --payload 1100
refused "--node-port wants a whole number 1..65535, got '70000'" loadgen --node-port 70000
refused "--rate wants a number 0..1e+09, got '-5'" loadgen --rate -5
refused "--interval-ms wants a whole number 10..60000, got '5'" loadgen --interval-ms 5

# the micro-benchmarks check their options before they set anything up
p=$build/perf
refused "--cpu wants a whole number 0..1023, got 'x'" "$p/aead/bench_aead" --cpu x
refused "--rounds wants a whole number 1..64, got '0'" "$p/aead/bench_gcm_api" --rounds 0
refused "--sessions wants a whole number 1..16777216, got '12x'" "$p/engine/bench_engine" --sessions 12x
refused "--fanout wants a whole number 1..64, got '65'" "$p/rooms/bench_relay" --fanout 65
refused "-s wants a power of two, got 1000" "$p/ring/bench_ring" -s 1000
refused "-p wants a whole number 0..1023, got '-1'" "$p/ring/bench_ring" -p -1
# the relay baselines and their load, where libenet was there to build them
if [[ -x $p/enet/enet_relay ]]; then
  refused "--room-size wants a whole number 2..4095, got '1'" "$p/enet/enet_relay" --room-size 1
  refused "--burst wants a whole number 1..256, got '0'" "$p/enet/udp_relay" --burst 0
  refused "--seconds wants a number 0.1..600, got '0.01'" "$p/enet/enet_load" --seconds 0.01
fi
exit $status
