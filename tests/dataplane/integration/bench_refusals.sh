#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bench mode cannot be switched on by half: hayate-dataplane refuses to
# start, before EAL (no DPDK, no root needed), when the config asks for
# bench sessions without --bench-mode-insecure (exit 1), when the flag
# comes without bench sessions (exit 2), and when the flag is abbreviated
# or given before "--" (exit 2); each time with one line naming the key
# and the flag.  With both, --check-config passes and warns.
#   bench_refusals.sh BUILD_DIR
set -Eeuo pipefail
build=$1
bin=$build/dataplane/hayate-dataplane
dir=$(mktemp -d "${TMPDIR:-/tmp}/hy-benchref.XXXXXX")
trap 'rm -rf "$dir"' EXIT

umask 077
echo "0 000102030405060708090a0b0c0d0e0f" >"$dir/cluster.key"
printf 'rooms:\n  max_members: 16\n' >"$dir/modules.yaml"
conf() { # NAME BENCH_GROUP
  cat >"$dir/$1.conf" <<EOC
node = { id = 7; roles = ["udp"]; };
paths = { cluster_key_file = "cluster.key"; modules_file = "modules.yaml";
          ring_socket = "$dir/ring.sock"; stats_shm = "/hy-benchref-$$"; };
dataplane = {
  ports = ( { device = "net_null0"; ipv4 = "198.18.0.1"; } );
  max_sessions = 1024;
  $2
};
EOC
}
conf off ''
conf zero 'bench = { sessions = 0; seed = 5; };'
conf on 'bench = { sessions = 16; seed = 5; };'

passes=0 fails=0
ok() { echo "ok: $1"; passes=$((passes + 1)); }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }
# run NAME WANT_STATUS WANT_STDERR_RE -- ARGS...  (RE "" : stderr empty)
run() {
  local name=$1 want=$2 re=$3 rc=0 good
  shift 4
  "$bin" "$@" >"$dir/out" 2>"$dir/err" </dev/null || rc=$?
  if [[ -z $re ]]; then [[ ! -s $dir/err ]] && good=1 || good=0
  else grep -Eq -- "$re" "$dir/err" && good=1 || good=0; fi
  if [[ $rc -ne $want || $good -ne 1 ]]; then
    bad "$name: exit $rc (want $want), stderr:"; cat "$dir/err"
  else
    ok "$name: exit $rc: $(head -n 1 "$dir/err")"
  fi
}

run 'config asks, no flag' 1 \
  "on.conf: dataplane.bench.sessions is 16: .*--bench-mode-insecure" -- \
  -- --config "$dir/on.conf"
run 'config asks, no flag, --check-config' 1 \
  "dataplane.bench.sessions is 16: .*--bench-mode-insecure" -- \
  -- --config "$dir/on.conf" --check-config
run 'flag, sessions = 0' 2 \
  "--bench-mode-insecure given but .*zero.conf sets no bench session \(dataplane.bench.sessions is 0\)" -- \
  -- --config "$dir/zero.conf" --bench-mode-insecure
run 'flag, no bench group' 2 \
  "--bench-mode-insecure given but .*dataplane.bench.sessions is 0" -- \
  -- --config "$dir/off.conf" --bench-mode-insecure
run 'abbreviated flag' 2 "bad option '--bench-mode'" -- \
  -- --config "$dir/on.conf" --bench-mode
# before "--" it is no flag of ours: the config's half alone refuses
run 'flag before --' 1 "dataplane.bench.sessions is 16: .*--bench-mode-insecure" -- \
  --bench-mode-insecure -- --config "$dir/on.conf"
run 'both, --check-config' 0 \
  "WARNING: BENCH MODE \(--bench-mode-insecure\): 16 sessions .*seed 5" -- \
  -- --config "$dir/on.conf" --bench-mode-insecure --check-config
grep -q ': ok; ' "$dir/out" && ok "--check-config: $(cat "$dir/out")" ||
  bad "--check-config said: $(cat "$dir/out")"
run 'normal config, no flag, --check-config' 0 '' -- \
  -- --config "$dir/off.conf" --check-config
"$bin" --help | grep -q -- '--bench-mode-insecure' && ok '--help names the flag' ||
  bad '--help does not mention --bench-mode-insecure'

echo "$passes passed, $fails failed"
((fails == 0))
