#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The relay baselines of the performance kit: an ENet relay (Debian's libenet) and a plain
# recvmmsg/sendmmsg UDP relay, each driven to saturation on loopback by perf/enet's load client,
# the relay pinned to one CPU and the load to the other.  Method: docs/performance.md,
# "Baselines: ENet and a plain UDP relay".
#
#   perf/enet/run.sh [options]
#
# Options:
#   -b, --build DIR   build directory (default: build; the binaries are in DIR/perf/enet)
#   -d SECONDS        length of one round (default 1.5)
#   -r ROUNDS         rounds per scenario; the figures are the median round (default 3)
#   -w SECONDS        load before the first round (default 0.3)
#   --server-cpu N    CPU of the relay (default 0)
#   --load-cpu N      CPU of the load client (default 1)
#   --all             four more scenarios: ENet with 4 messages per datagram, ENet reliable
#   --reliable        two more: ENet reliable (of --all's four, the two perf/bench compares)
#   -v                also print the load's per-round lines and each relay's own summary
#
# Scenarios: enet_relay_1to1 and enet_relay_1to8 (rooms of 2 and 9, one sender, 64-byte
# unsequenced messages, one per datagram), udp_relay_1to1 and udp_relay_1to8 (the same over the
# plain relay); with --all also enet_relay_1to1_x4 and enet_relay_1to8_x4 (4 messages per
# datagram, ENet's command aggregation) and enet_relay_1to1_reliable, enet_relay_1to8_reliable
# (--reliable: these two only).  Prints the BENCH lines, then a table.  About 20 s (30 s with
# --reliable, 40 s with --all).  Exits 1 when a scenario fails (a relay that does not start, a
# load client check that fails).
set -euo pipefail

build=build duration=1.5 rounds=3 warmup=0.3 scpu=0 lcpu=1 all=0 reliable=0 verbose=0
while (($#)); do
  case $1 in
    -b|--build) build=$2; shift 2 ;;
    -d) duration=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    -w) warmup=$2; shift 2 ;;
    --server-cpu) scpu=$2; shift 2 ;;
    --load-cpu) lcpu=$2; shift 2 ;;
    --all) all=1 reliable=1; shift ;;
    --reliable) reliable=1; shift ;;
    -v) verbose=1; shift ;;
    -h|--help) sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

bin=$build/perf/enet
for b in enet_relay udp_relay enet_load; do
  if [[ ! -x $bin/$b ]]; then
    echo "run.sh: $bin/$b is missing: build with libenet-dev installed (scripts/setup), e.g." >&2
    echo "        meson setup $build && ninja -C $build" >&2
    exit 1
  fi
done
pin_relay=(--cpu "$scpu") pin_load=(--cpu "$lcpu")
if (($(nproc) < 2)); then
  echo "run.sh: warning: fewer than 2 CPUs: relay and load share one, figures mean little" >&2
  pin_relay=() pin_load=()
fi

tmp=$(mktemp -d)
relay_pid="" load_pid=""
cleanup() {
  # Only what this script started, by pid: the load client (through timeout), then the relay.
  local p
  for p in $load_pid $relay_pid; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Budget for one load run, and the relay's own stop (--seconds) a little after it.
load_limit=$(awk -v w="$warmup" -v d="$duration" -v r="$rounds" \
  'BEGIN { printf "%d", w + d * r + 15 }')
relay_limit=$((load_limit + 5))

echo "# relay baselines: rounds=$rounds x ${duration}s, relay on cpu $scpu, load on cpu $lcpu," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"

failed=0
# run NAME RELAY ROOM_SIZE [load options...]
run() {
  local name=$1 relay=$2 k=$3 proto port
  shift 3
  proto=${relay%_relay}
  for _ in 1 2 3; do
    port=$((20000 + RANDOM % 20000))	# away from fixed ports other runs may hold
    "$bin/$relay" --port "$port" --room-size "$k" "${pin_relay[@]}" --seconds "$relay_limit" \
      >"$tmp/$name.relay" 2>&1 &
    relay_pid=$!
    for _ in $(seq 60); do
      grep -q ': ready ' "$tmp/$name.relay" 2>/dev/null && break
      kill -0 "$relay_pid" 2>/dev/null || break
      sleep 0.05
    done
    grep -q ': ready ' "$tmp/$name.relay" && break
    kill -TERM "$relay_pid" 2>/dev/null || true
    wait "$relay_pid" 2>/dev/null || true
    relay_pid=""
  done
  if [[ -z $relay_pid ]]; then
    echo "run.sh: $name: $relay did not start:" >&2
    cat "$tmp/$name.relay" >&2
    failed=1
    return
  fi
  # In the background, so that a signal reaches the trap at once, not when the load ends.
  timeout "$load_limit" "$bin/enet_load" --proto "$proto" --port "$port" --room-size "$k" \
    "${pin_load[@]}" --server-pid "$relay_pid" --warmup "$warmup" --seconds "$duration" \
    --rounds "$rounds" --name "$name" "$@" >"$tmp/$name.load" 2>"$tmp/$name.err" &
  load_pid=$!
  if ! wait "$load_pid"; then
    echo "run.sh: $name: the load client failed:" >&2
    failed=1
  fi
  load_pid=""
  cat "$tmp/$name.err" >&2
  kill -TERM "$relay_pid" 2>/dev/null || true
  wait "$relay_pid" 2>/dev/null || true
  relay_pid=""
  grep '^BENCH ' "$tmp/$name.load" >>"$tmp/bench" || true
  if ((verbose)); then
    grep -v '^BENCH ' "$tmp/$name.load" || true
    grep -E 'total|active' "$tmp/$name.relay" || true
  fi
}

: >"$tmp/bench"
run enet_relay_1to1 enet_relay 2 --per-datagram 1
run enet_relay_1to8 enet_relay 9 --per-datagram 1
run udp_relay_1to1 udp_relay 2
run udp_relay_1to8 udp_relay 9
if ((all)); then
  run enet_relay_1to1_x4 enet_relay 2 --per-datagram 4
  run enet_relay_1to8_x4 enet_relay 9 --per-datagram 4
fi
if ((reliable)); then
  run enet_relay_1to1_reliable enet_relay 2 --per-datagram 1 --mode reliable
  run enet_relay_1to8_reliable enet_relay 9 --per-datagram 1 --mode reliable
fi

cat "$tmp/bench"
echo
awk '
function kv(line, key,   re) {
  re = " " key "=[^ ]*"
  if (match(line, re)) return substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2)
  return "?"
}
BEGIN {
  f = "%-26s %-22s %7s %8s %13s %7s %6s %8s %7s%s\n"
  printf f, "scenario", "delivered M/s", "in", "offered", "dgrams in/out", "msgs/dg", "relay", \
    "per core", "drops", ""
  printf f, "", "median (min-max)", "M/s", "M/s", "M/s", "out", "CPU", "M/s", "M/s", ""
}
/^BENCH / {
  cpu = kv($0, "server_cpu")
  flag = (cpu != "?" && cpu + 0 >= 0 && cpu + 0 < 0.9) ? " <- relay not saturated" : ""
  printf f, kv($0, "name"), kv($0, "value") " (" kv($0, "min") "-" kv($0, "max") ")", \
    kv($0, "in"), kv($0, "offered"), kv($0, "dgrams_in") "/" kv($0, "dgrams_out"), \
    kv($0, "msgs_per_dgram_out"), cpu, kv($0, "per_core"), kv($0, "server_drops"), flag
}' "$tmp/bench"
echo
echo "delivered: messages the room members received and checked; in: distinct messages that"
echo "reached a member; relay CPU: its share of a core during the rounds (/proc); per core:"
echo "delivered / relay CPU (rough when the CPU is shared); drops: datagrams the kernel dropped at"
echo "the relay's full socket (> 0: more was offered than it could take)."
exit "$failed"
