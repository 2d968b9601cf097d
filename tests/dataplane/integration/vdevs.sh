#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# hayate-dataplane starts, reports ready and drains cleanly on each kind of
# virtual port it is meant to run on besides af_packet and pcap (tested
# elsewhere): net_null, net_ring, net_tap, net_memif (server, no peer).
#   vdevs.sh BUILD_DIR SOURCE_DIR
set -Eeuo pipefail
build=$1 src=$2
if [[ $(id -u) -ne 0 ]]; then echo "skipped: needs root"; exit 77; fi
tmp=$(mktemp -d /tmp/hy-vdevs.XXXXXX)
pid=
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$tmp" /var/run/dpdk/hy-vdevs-$$-*
}
trap cleanup EXIT

umask 077
echo "0 $(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" > "$tmp/cluster.key"
sed -e "s|cluster_key_file = \"[^\"]*\"|cluster_key_file = \"$tmp/cluster.key\"|" \
    -e "s|ring_socket = \"[^\"]*\"|ring_socket = \"$tmp/ring.sock\"|" \
    -e "s|stats_shm = \"[^\"]*\"|stats_shm = \"/hy-vdevs-$$\"|" \
    -e "s|modules_file = \"[^\"]*\"|modules_file = \"$src/config/modules.yaml\"|" \
    -e "s|max_sessions = [0-9]*;|max_sessions = 4096;|" \
    "$src/config/hayate.conf" > "$tmp/base.conf"

status=0
for vdev in net_null0 net_ring0 "net_tap0,iface=hyvd$$" "net_memif0,role=server,socket=$tmp/memif.sock"; do
  dev=${vdev%%,*}
  sed "s|device = \"[^\"]*\"|device = \"$dev\"|" "$tmp/base.conf" > "$tmp/$dev.conf"
  log=$tmp/$dev.log
  "$build/dataplane/hayate-dataplane" --no-huge -m 256 --no-pci -l 0-1 \
    --file-prefix="hy-vdevs-$$-$dev" --vdev="$vdev" --log-level=lib.eal:error \
    -- --config "$tmp/$dev.conf" > "$log" 2>&1 &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    grep -q 'ready' "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q "ready: .*ports \[$dev " "$log"; then
    echo "FAIL: $dev: not ready"; cat "$log"; status=1
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=; continue
  fi
  kill -TERM "$pid"   # no sessions: the drain ends at once
  if wait "$pid"; then
    echo "ok: $dev ready and drained"
  else
    echo "FAIL: $dev: exit status $? after SIGTERM"; cat "$log"; status=1
  fi
  pid=
done
exit $status
