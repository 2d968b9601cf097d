#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One data-plane integration case through scripts/devnet (needs root):
#   run.sh CASE BUILD_DIR SOURCE_DIR
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

cleanup() { "$devnet" down --name "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

opts=()
case $case in
  idle) opts=(--idle-timeout-ms 2000 --keepalive-ms 500) ;;
  drain) opts=(--drain-timeout-s 20) ;;
  many) opts=(--max-sessions 4096) ;;
esac
"$devnet" up --name "$name" --build "$build" "${opts[@]}"
state=/run/hayate-devnet/$name
pid=$(cat "$state/dataplane.pid")

in_ns() { "$devnet" exec --name "$name" "$@"; }
alive() { kill -0 "$pid" 2>/dev/null; }

status=0
case $case in
  echo) in_ns "$client" echo 5 || status=1 ;;
  cli) in_ns "$build/client/hayate-cli" echo --count 3 --interval-ms 50 || status=1 ;;
  rebind) in_ns "$client" rebind || status=1 ;;
  idle) in_ns "$client" idle 2000 || status=1 ;;
  many) in_ns "$client" many 1000 || status=1 ;;
  hostile) in_ns "$client" hostile || status=1 ;;
  drain)
    out=$state/drain-client.log
    in_ns "$client" drain >"$out" 2>&1 &
    cpid=$!
    for ((i = 0; i < 200; i++)); do
      grep -q 'drain: connected' "$out" && break
      sleep 0.05
    done
    kill -TERM "$pid"
    wait "$cpid" || status=1
    cat "$out"
    # the last session left: the node must exit by itself, well before
    # its 20 s drain timeout
    for ((i = 0; i < 150; i++)); do
      alive || break
      sleep 0.1
    done
    if alive; then
      echo "FAIL: node still running after its last session left"; status=1
    elif ! grep -q 'drained, no session left' "$state/dataplane.log"; then
      echo "FAIL: node did not report a finished drain"; status=1
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
