#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Both processes on one box: hayate-dataplane on a net_null port (no
# hugepages, no PCI) and hayate-controlplane, sharing a ring socket in a
# temporary directory.  Checks that they attach (HELLO, resync), that the
# control plane killed with -9 and restarted attaches and resyncs again
# while the data plane stays up, and that a control plane started before
# the data plane waits and attaches when it comes.
#   run_both.sh BUILD_DIR
set -Eeuo pipefail
build=$1
dp=$build/dataplane/hayate-dataplane
cp=$build/controlplane/hayate-controlplane
dir=$(mktemp -d /tmp/hy-cp-both-XXXXXX)
tag=$(basename "$dir")
dp_pid='' cp_pid=''

cleanup() {
  for p in $cp_pid $dp_pid; do kill -9 "$p" 2>/dev/null || true; done
  for p in $cp_pid $dp_pid; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
  # what a killed data plane cannot remove: its counters, its EAL files
  rm -rf "/dev/shm/$tag" "/var/run/dpdk/$tag"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for f in "$dir"/*.log; do echo "--- $f"; cat "$f"; done
  exit 1
}

# wait_log FILE PATTERN [COUNT]: until PATTERN appears COUNT times (10 s).
wait_log() {
  local n=${3:-1}
  for ((i = 0; i < 200; i++)); do
    (( $(grep -c -- "$2" "$1" 2>/dev/null || true) >= n )) && return 0
    sleep 0.05
  done
  return 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

printf '3 %s\n' "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" >"$dir/cluster.key"
chmod 600 "$dir/cluster.key"
cat >"$dir/modules.yaml" <<'YAML'
rooms:
  max_members: 16
YAML
cat >"$dir/hayate.conf" <<CONF
node = { id = 7; name = "both"; roles = ["udp", "tcp"]; };
paths = {
  cluster_key_file = "cluster.key";
  modules_file = "modules.yaml";
  ring_socket = "$dir/ring.sock";
  stats_shm = "/$tag";
};
dataplane = {
  ports = ( { device = "net_null0"; ipv4 = "198.18.0.1"; udp_port = 7100; } );
  workers = 1;
  max_sessions = 1024;
  drain_timeout_s = 1;
  ring_slots = 256;
};
controlplane = { tcp = { listen = "127.0.0.1"; port = $(free_port); }; };
CONF

start_dp() {
  "$dp" --no-huge -m 256 --no-pci --file-prefix="$tag" --vdev=net_null0 -l 0-1 \
    -- --config "$dir/hayate.conf" >"$dir/dataplane.log" 2>&1 &
  dp_pid=$!
}
start_cp() {
  "$cp" --config "$dir/hayate.conf" >>"$dir/controlplane.log" 2>&1 &
  cp_pid=$!
}

# 1. Control plane first: it waits for the data plane, then attaches.
start_cp
wait_log "$dir/controlplane.log" 'ready:' || fail "control plane not ready"
wait_log "$dir/controlplane.log" 'data plane not reachable' || fail "no retry message"
start_dp
wait_log "$dir/dataplane.log" 'ready' || fail "data plane not ready"
wait_log "$dir/controlplane.log" 'data plane attached: node "both"' || fail "no HELLO seen"
wait_log "$dir/controlplane.log" 'resync done' || fail "no resync"
kill -USR1 "$cp_pid"
wait_log "$dir/controlplane.log" 'ring.attaches=1' || fail "attach not counted"

# 2. kill -9 the control plane, restart it: the data plane stays up, the
#    new control plane attaches and resyncs.
kill -9 "$cp_pid"; wait "$cp_pid" 2>/dev/null || true
wait_log "$dir/dataplane.log" 'control plane detached' || fail "data plane did not see the detach"
kill -0 "$dp_pid" || fail "data plane died with the control plane"
start_cp
wait_log "$dir/controlplane.log" 'data plane attached: node "both"' 2 || fail "no HELLO after restart"
wait_log "$dir/controlplane.log" 'resync done' 2 || fail "no resync after restart"
kill -0 "$dp_pid" || fail "data plane died"

# 3. SIGUSR2: the control plane leaves without draining the data plane.
kill -USR2 "$cp_pid"
for ((i = 0; i < 100; i++)); do kill -0 "$cp_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$cp_pid" 2>/dev/null && fail "control plane ignored SIGUSR2"
wait "$cp_pid" || fail "control plane exit status $?"
cp_pid=''
sleep 0.3
kill -0 "$dp_pid" || fail "data plane died after SIGUSR2"
grep -q 'state draining' "$dir/dataplane.log" && fail "data plane drained after SIGUSR2"

# 4. Data plane dies: a running control plane notices and waits again.
start_cp
wait_log "$dir/controlplane.log" 'data plane attached: node "both"' 3 || fail "no third attach"
kill -9 "$dp_pid"; wait "$dp_pid" 2>/dev/null || true; dp_pid=''
wait_log "$dir/controlplane.log" 'data plane detached' || fail "death of the data plane not seen"
kill -0 "$cp_pid" || fail "control plane died with the data plane"
for f in "$dir"/*.log; do echo "--- $(basename "$f")"; cat "$f"; done
echo "ok"
