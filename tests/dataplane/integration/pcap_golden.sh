#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# pcap golden test: hayate-dataplane reads a generated pcap through
# net_pcap (rx_pcap=), writes what it sends to another (tx_pcap=), and the
# replies are compared with golden/pcap-replies.txt.
#   pcap_golden.sh BUILD_DIR TEST_SOURCE_DIR
# The node runs until its counters show every frame handled, then gets
# SIGTERM; with no session open, the drain ends at once and the node must
# exit by itself with status 0.  Everything it made is removed on exit.
set -Eeuo pipefail
build=$1 here=$2
tool=$build/tests/dataplane/integration/pcap_golden
bin=$build/dataplane/hayate-dataplane
golden=$here/golden/pcap-replies.txt

dir=$(mktemp -d "${TMPDIR:-/tmp}/hy-golden.XXXXXX")
prefix=hy-golden-$$
shm=/hy-golden-$$
pid=

cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir" "/var/run/dpdk/$prefix" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$prefix"
  rm -f "/dev/shm/${shm#/}"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

"$tool" gen "$dir"
printf 'rooms:\n  max_members: 16\n' >"$dir/modules.yaml"
cat >"$dir/hayate.conf" <<EOC
node = { id = 7; name = "golden"; roles = ["udp"]; };
paths = {
  cluster_key_file = "cluster.key";
  modules_file = "modules.yaml";
  ring_socket = "$dir/ring.sock";
  stats_shm = "$shm";
};
dataplane = {
  ports = ( { device = "net_pcap0"; ipv4 = "198.18.0.1"; ipv6 = "2001:2::1"; udp_port = 4000; } );
  workers = 1;
  max_sessions = 1024;
  drain_timeout_s = 5;
};
EOC
chmod 600 "$dir/cluster.key"

# main lcore and the worker on two CPUs when there are two
cpus=$(nproc)
lcores='0@0,1@1'
((cpus < 2)) && lcores='0@0,1@0'
"$bin" --lcores "$lcores" --no-huge -m 128 --no-pci --file-prefix="$prefix" \
  --vdev="net_pcap0,rx_pcap=$dir/in.pcap,tx_pcap=$dir/out.pcap" \
  --log-level=lib.eal:warning -- --config "$dir/hayate.conf" \
  >"$dir/node.log" 2>&1 </dev/null &
pid=$!

status=0
for ((i = 0; i < 300; i++)); do
  grep -q '^hayate-dataplane: ready' "$dir/node.log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q '^hayate-dataplane: ready' "$dir/node.log"; then
  echo "FAIL: node did not start"; cat "$dir/node.log"; exit 1
fi

# every frame read and answered or dropped (tx is flushed within 100 us)
rc=1
for ((i = 0; i < 200; i++)); do
  rc=0; "$tool" counters "$shm" >"$dir/counters.txt" 2>&1 || rc=$?
  ((rc == 0)) && break
  sleep 0.1
done
cat "$dir/counters.txt"
((rc == 0)) || { echo "FAIL: counters"; status=1; }

kill -TERM "$pid"
rc=0
for ((i = 0; i < 150; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: node did not exit after SIGTERM with no session"; status=1
else
  wait "$pid" || rc=$?
  pid=
  ((rc == 0)) || { echo "FAIL: node exit status $rc"; status=1; }
  grep -q 'drained, no session left' "$dir/node.log" ||
    { echo "FAIL: node did not drain"; status=1; }
fi
cat "$dir/node.log"

"$tool" check "$dir/out.pcap" "$golden" || status=1
exit $status
