#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# What pktgen will replay on bare metal, replayed here through net_pcap:
# perf/pktgen/gen_traffic writes a pcap, hayate-dataplane --bench-mode-insecure
# reads it (rx_pcap=) and writes what it sends to another (tx_pcap=), and the
# node's counters must match what gen_traffic predicted (its --expect file),
# name by name.
#   pktgen_bench.sh BUILD_DIR
# Cases, one node each:
#   echo       2 workers (hand-offs), 64 bench sessions, the pass written 3
#              times: every ECHO answered, the copies counted as
#              bench_replays_accepted, none refused, a reply frame for each
#   broadcast  rooms of 4 bench sessions: every BROADCAST answered, the
#              pushes to members already heard from sent, the others counted
#   garbage    the four garbage variants over five sizes: every datagram
#              dropped under the reason predicted, nothing sent back
# Each node has its own file prefix and stats region and is stopped with two
# signals (no drain, so no DISCONNECT lands in the tx pcap); everything it
# made is removed on exit, whatever happened.
set -Eeuo pipefail
build=$1
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: needs root"
  exit 77
fi
gen=$build/perf/pktgen/gen_traffic
bin=$build/dataplane/hayate-dataplane
dpstat=$build/dataplane/hayate-dpstat
for f in "$gen" "$bin" "$dpstat"; do
  [[ -x $f ]] || { echo "FAIL: $f not built"; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/hy-pgbench.XXXXXX")
prefix=hy-pgbench-$$
pid= shm=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
  rm -rf "/var/run/dpdk/$prefix"-*
  rm -f /dev/shm/hy-pgbench-$$-*
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# net_pcap's MAC for its first device: 02 "pcap" 00
node_mac=02:70:63:61:70:00
umask 077
echo "3 $(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" >"$dir/cluster.key"
printf 'rooms:\n  max_members: 16\n  max_rooms: 64\n' >"$dir/modules.yaml"

# conf NAME WORKERS SESSIONS ROOM_SIZE
conf() {
  cat >"$dir/$1.conf" <<EOC
node = { id = 9; name = "pgbench"; roles = ["udp"]; };
paths = {
  cluster_key_file = "cluster.key";
  modules_file = "modules.yaml";
  ring_socket = "$dir/$1.sock";
  stats_shm = "/hy-pgbench-$$-$1";
};
dataplane = {
  ports = ( { device = "net_pcap0"; ipv4 = "198.18.0.1"; udp_port = 7100; } );
  workers = $2;
  max_sessions = 1024;
  bench = { sessions = $3; seed = 77; room_size = $4; };
};
EOC
}

# pcap_frames FILE: records in a classic pcap (24-byte header, then a
# 16-byte header and incl_len bytes per record), read in one pass
pcap_frames() {
  od -An -v -tu1 "$1" | awk '
    { for (i = 1; i <= NF; i++) b[n++] = $i }
    END {
      off = 24; k = 0
      while (off + 16 <= n) {
        len = b[off + 8] + 256 * (b[off + 9] + 256 * (b[off + 10] + 256 * b[off + 11]))
        off += 16 + len; k++
      }
      if (off != n) { print "truncated record at " off " of " n > "/dev/stderr"; exit 1 }
      print k
    }'
}

status=0
fail() { echo "FAIL: $case: $*"; status=1; }

# run CASE LCORES: node on $dir/CASE.pcap, counters against $dir/CASE.exp
run() {
  case=$1
  local lcores=$2 out=$dir/$1-out.pcap log=$dir/$1.log want_rx rc i name want got
  shm=/hy-pgbench-$$-$case
  "$bin" --lcores "$lcores" --no-huge -m 256 --no-pci --file-prefix="$prefix-$case" \
    --vdev="net_pcap0,rx_pcap=$dir/$case.pcap,tx_pcap=$out" \
    --log-level=lib.eal:warning -- --config "$dir/$case.conf" --bench-mode-insecure \
    >"$log" 2>&1 </dev/null &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    grep -q '^hayate-dataplane: ready' "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^hayate-dataplane: ready' "$log"; then
    fail "node did not start"; cat "$log"; return
  fi
  grep -q 'WARNING: BENCH MODE' "$log" || fail "no bench-mode warning in the log"

  # the whole file read, then a little for the counters (published every ms)
  want_rx=$(sed -n 's/^rx_packets //p' "$dir/$case.exp")
  for ((i = 0; i < 200; i++)); do
    got=$("$dpstat" --shm "$shm" rx_packets | cut -d' ' -f2)
    ((got >= want_rx)) && break
    sleep 0.05
  done
  sleep 0.3
  "$dpstat" --shm "$shm" >"$dir/$case.counters"
  while read -r name want; do
    got=$("$dpstat" --shm "$shm" "$name" | cut -d' ' -f2)
    if [[ $got != "$want" ]]; then
      fail "counter $name $got, want $want"
    else
      echo "ok: $case: $name $got"
    fi
  done <"$dir/$case.exp"
  if [[ $case == echo ]]; then
    local ho hi
    ho=$("$dpstat" --shm "$shm" handoff_out | cut -d' ' -f2)
    hi=$("$dpstat" --shm "$shm" handoff_in | cut -d' ' -f2)
    if ((ho == 0 || ho != hi)); then fail "handoff_out $ho, handoff_in $hi"; fi
    [[ $(grep -c 'bench sessions$' "$log") == 2 ]] || fail "not both workers made bench sessions"
  fi

  # two signals: stop at once (a drain would close the bench sessions with
  # DISCONNECTs to their peers, into the tx pcap)
  kill -TERM "$pid"
  sleep 0.2
  kill -TERM "$pid" 2>/dev/null || true
  rc=0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "node did not stop"
  else
    wait "$pid" || rc=$?
    ((rc == 0)) || fail "node exit status $rc"
  fi
  pid=
  # a sanitizer build reports into the log and may still exit 0
  if grep -Eq 'runtime error|Sanitizer' "$log"; then fail "sanitizer report in the log"; fi
  # what went out: one frame per counted tx packet, none for garbage
  got=$(pcap_frames "$out") || { fail "tx pcap unreadable"; got=-1; }
  want=$(sed -n 's/^tx_packets //p' "$dir/$case.exp")
  if [[ $got != "$want" ]]; then
    fail "tx pcap holds $got frames, want $want"
  else
    echo "ok: $case: tx pcap holds $got frames"
  fi
  if ((status != 0)); then cat "$log" "$dir/$case.counters"; fi
}

cpus=$(nproc)

conf echo 2 64 0
"$gen" valid --config "$dir/echo.conf" --dst-mac "$node_mac" --count 256 --repeat 3 \
  -o "$dir/echo.pcap" --expect "$dir/echo.exp"
# the main lcore and two workers; on a 2-CPU machine the workers share one
lcores='0@0,1@1,2@1'
((cpus >= 3)) && lcores='0@0,1@1,2@2'
((cpus < 2)) && lcores='0@0,1@0,2@0'
run echo "$lcores"

conf broadcast 1 16 4
"$gen" valid --config "$dir/broadcast.conf" --dst-mac "$node_mac" --command broadcast \
  --payload 200 --count 64 --repeat 2 -o "$dir/broadcast.pcap" --expect "$dir/broadcast.exp"
lcores='0@0,1@1'
((cpus < 2)) && lcores='0@0,1@0'
run broadcast "$lcores"

conf garbage 1 8 0
"$gen" garbage --config "$dir/garbage.conf" --dst-mac "$node_mac" --count 600 \
  --sizes 1,20,64,600,1300 --flows 50 --seed 5 -o "$dir/garbage.pcap" --expect "$dir/garbage.exp"
run garbage "$lcores"

exit $status
