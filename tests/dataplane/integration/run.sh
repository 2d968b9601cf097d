#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One data-plane integration case through scripts/devnet (needs root):
#   run.sh CASE BUILD_DIR SOURCE_DIR
# CASE: echo cli rebind idle drain many hostile multiworker ipv6
# Brings up a devnet of its own (unique name), runs the case's client in
# the client namespace, checks the node survived, and always takes the
# devnet down again, whatever happened.
set -Eeuo pipefail
case=$1 build=$2 src=$3
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: needs root (network namespaces)"
  exit 77
fi
devnet=$src/scripts/devnet
client=$build/tests/dataplane/integration/itest_client
name=i$(printf '%s' "$case" | tr -cd 'a-z' | cut -c1-3)$((RANDOM % 10000))

cpid=
cleanup() {
  # a background client of ours still running (a failed drain case)
  # (its child is the client: devnet exec execs into it)
  if [[ -n $cpid ]] && kill -0 "$cpid" 2>/dev/null; then
    pkill -TERM -P "$cpid" 2>/dev/null || true
    kill -TERM "$cpid" 2>/dev/null || true
  fi
  "$devnet" down --name "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 143' TERM INT

opts=()
case $case in
  idle) opts=(--idle-timeout-ms 2000 --keepalive-ms 500) ;;
  drain) opts=(--drain-timeout-s 20) ;;
  many) opts=(--max-sessions 4096) ;;
  # a worker that never sleeps (dataplane.idle_sleep = false)
  cli) opts=(--busy-poll) ;;
  # two workers on a 2-CPU machine: the main lcore on the first CPU, both
  # workers sharing the second (a functional test, not a performance one)
  multiworker) opts=(--workers 2 --max-sessions 4096 --drain-timeout-s 4) ;;
esac
# The data plane alone: counters and logs are its own, and hayate-cli mints
# its tickets from the key file (tests/node/ covers the whole node).
started_ns=$(date +%s%N)
"$devnet" up --name "$name" --build "$build" --no-controlplane "${opts[@]}"
state=/run/hayate-devnet/$name
pid=$(cat "$state/dataplane.pid")

in_ns() { "$devnet" exec --name "$name" "$@"; }
alive() { kill -0 "$pid" 2>/dev/null; }

status=0
case $case in
  echo) in_ns "$client" echo 5 || status=1 ;;
  cli)
    # the worker's tx delay over the echoes (hayate-dpstat --latency)
    "$build/dataplane/hayate-dpstat" --shm "/hayate-devnet-$name" --latency 2 >"$state/latency.out" &
    lat=$!
    sleep 0.2
    in_ns "$build/client/hayate-cli" echo --count 3 --interval-ms 50 || status=1
    wait "$lat" || status=1
    cat "$state/latency.out"
    grep -Eq '^tx delay over 2\.0 s: ([3-9]|[1-9][0-9]+) frames, mean [0-9.]+ us, p50 <= [0-9]+us, p90 ' \
      "$state/latency.out" || { echo "FAIL: hayate-dpstat --latency"; status=1; }
    # idle between the echoes, and never asleep
    sleeps=$("$build/dataplane/hayate-dpstat" --shm "/hayate-devnet-$name" --lcore 1 \
      idle_sleeps busy_polls | awk '{ printf "%s ", $2 }')
    read -r s p <<<"$sleeps"
    [[ $s == 0 && $p -gt 0 ]] && echo "ok: the busy-polling worker never slept ($p busy polls)" ||
      { echo "FAIL: busy-poll worker: idle_sleeps $s, busy_polls $p"; status=1; }
    ;;
  rebind) in_ns "$client" rebind || status=1 ;;
  idle) in_ns "$client" idle 2000 || status=1 ;;
  many)
    in_ns "$client" many 1000 || status=1
    # the worker's load counter: 1,000 handshakes took some of its time,
    # and it cannot have been busy for longer than the node has existed
    sleep 0.1 # one publish interval (~1 ms) and then some
    busy=$("$build/dataplane/hayate-dpstat" --shm "/hayate-devnet-$name" --lcore 1 busy_us | awk '{ print $2 }')
    lived=$((($(date +%s%N) - started_ns) / 1000))
    echo "worker busy ${busy} us of the node's ${lived} us"
    if ! [[ $busy =~ ^[0-9]+$ ]] || ((busy == 0 || busy >= lived)); then
      echo "FAIL: worker busy_us '$busy' not in (0, $lived)"; status=1
    fi
    # the memory stage backed the heap before the first packet
    grep -E 'memory: [1-9][0-9]* MiB pre-faulted' "$state/dataplane.log" ||
      { echo "FAIL: memory not pre-faulted"; status=1; }
    ;;
  hostile) in_ns "$client" hostile || status=1 ;;
  ipv6)
    in_ns "$client" echo6 3 || status=1
    out=$(in_ns "$build/client/hayate-cli" echo --count 2 --interval-ms 50 \
          --host "$("$devnet" env --name "$name" | sed -n 's/^export HAYATE_UDP_HOST6=//p')") || status=1
    echo "$out"
    grep -q 'you are \[2001:db8:48:' <<<"$out" || { echo "FAIL: hayate-cli over IPv6"; status=1; }
    ;;
  drain|multiworker)
    out=$state/drain-client.log
    if [[ $case == drain ]]; then
      in_ns "$client" drain >"$out" 2>&1 &
      ready='drain: connected'
    else
      in_ns "$client" multiworker 50 >"$out" 2>&1 &
      ready='multiworker: drain now'
    fi
    cpid=$!
    for ((i = 0; i < 1200; i++)); do
      grep -q "$ready" "$out" && break
      kill -0 "$cpid" 2>/dev/null || break
      sleep 0.05
    done
    kill -TERM "$pid"
    wait "$cpid" || status=1
    cpid=
    cat "$out"
    # the last session left (drain: well before the 20 s drain timeout;
    # multiworker: the node closed the rest at 4 s): it must exit by itself
    for ((i = 0; i < 150; i++)); do
      alive || break
      sleep 0.1
    done
    "$build/dataplane/hayate-dpstat" --shm "/hayate-devnet-$name" 2>/dev/null || true
    if alive; then
      echo "FAIL: node still running after its last session left"; status=1
    elif ! grep -Eq 'drained, no session left|drain timeout, closing' "$state/dataplane.log"; then
      echo "FAIL: node did not report a finished drain"; status=1
    elif ! grep -q 'hayate-dataplane: stopped' "$state/dataplane.log"; then
      echo "FAIL: node did not stop cleanly"; status=1
    fi
    cat "$state/dataplane.log"
    exit $status
    ;;
  *) echo "unknown case $case"; exit 2 ;;
esac
if ! alive; then
  echo "FAIL: hayate-dataplane died"; status=1
  cat "$state/dataplane.log"
fi
"$build/dataplane/hayate-dpstat" --shm "/hayate-devnet-$name" || true
exit $status
