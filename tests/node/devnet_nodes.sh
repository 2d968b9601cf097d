#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/devnet with several nodes (needs root):
#   devnet_nodes.sh BUILD_DIR SOURCE_DIR
# Brings up a devnet of three nodes under a unique name and checks: every
# node's HTTP API answers from the client namespace; UDP reaches node 2's
# data plane (a token for node 2 is accepted there, one for node 1 is
# not); the control-plane addresses route between the node namespaces
# (TCP to every other node's HTTP API, UDP to a probe on node 3's MARS
# address); the MARS candidates in every node's configuration; wait-cluster
# (the three agree on a leader, the two left after a kill too); pause,
# resume, cut, heal, kill and start of node 3 and their effect; up on an
# existing network refused; and that down, run after a kill and a pause,
# leaves no namespace, veth, process, shared memory, DPDK runtime
# directory or state behind, and may run twice.  Deadlines are generous
# and nothing is timed: only outcomes are asserted.
set -Eeuo pipefail
build=$1 src=$2
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: needs root (network namespaces)"
  exit 77
fi
devnet=$src/scripts/devnet
cli=$build/client/hayate-cli
name=dnn$((RANDOM % 10000))
state=${HAYATE_DEVNET_STATE:-/run/hayate-devnet}/$name
probe_pid=

cleanup() {
  if [[ -n $probe_pid ]]; then kill -TERM "$probe_pid" 2>/dev/null || true; fi
  "$devnet" down --name "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# status, fail, ok, wait_for
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

"$devnet" up --name "$name" --nodes 3 --build "$build"

cp_ip() { echo "198.18.$((2 * $1 - 1)).1"; }
dp_ip() { echo "198.18.$((2 * $1 - 2)).1"; }
ip6_of() { if (($1 == 1)); then echo 2001:db8:48::1; else echo "2001:db8:48:$(($1 - 1))::1"; fi; }
in_cli() { "$devnet" exec --name "$name" "$@"; }
# health I [NS]: GET /healthcheck of node I (from the client namespace, or
# from namespace NS); true if it answers 200 naming node I.
health() {
  local out
  if [[ -n ${2:-} ]]; then
    out=$(ip netns exec "$2" curl -s -m 3 "http://$(cp_ip "$1"):7000/healthcheck") || return 1
  else
    out=$(in_cli curl -s -m 3 "http://$(cp_ip "$1"):7000/healthcheck") || return 1
  fi
  grep -q "\"nodeId\":$1[,}]" <<<"$out"
}
no_health() { ! health "$@"; }
pid_of() { cat "$state/node$1/$2.pid"; }
# gone PID: no such process, or only its zombie left
gone() {
  [[ ! -d /proc/$1 ]] || [[ $(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) == Z ]] ||
    [[ -z $(tr -d '\0' <"/proc/$1/cmdline" 2>/dev/null) ]]
}
stopped() { [[ $(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) == T ]]; }
running() { ! gone "$1" && ! stopped "$1"; }
# echo_to I NODE_ID [ARGS...]: hayate-cli echo to node I's data plane with a
# token minted for NODE_ID from the cluster key file; output in $out.
echo_to() {
  local i=$1 id=$2
  shift 2
  out=$("$devnet" exec --name "$name" --node "$i" "$cli" --key-file "$state/cluster.key" \
          --node-id "$id" --uid "dn-$id" --timeout-ms 3000 echo --count 2 --interval-ms 50 "$@" 2>&1)
}

# every process up started, for the check after down
all_pids=()
record_pids() {
  local f
  for f in "$state"/node*/*.pid; do [[ -f $f ]] && all_pids+=("$(cat "$f")"); done
}
record_pids

# 1. every node's HTTP API from the client namespace; layout and env
for i in 1 2 3; do
  if health "$i"; then ok "node $i healthcheck"; else fail "node $i healthcheck"; fi
  envs=$("$devnet" env --name "$name" --node "$i")
  grep -q "^export HAYATE_NODE_ID=$i$" <<<"$envs" &&
    grep -q "^export HAYATE_HTTP_URL=http://$(cp_ip "$i"):7000$" <<<"$envs" &&
    grep -q "^export HAYATE_UDP_HOST=$(dp_ip "$i")$" <<<"$envs" &&
    grep -q "^export HAYATE_UDP_HOST6=$(ip6_of "$i")$" <<<"$envs" &&
    grep -q "^export HAYATE_STATS_SHM=/hayate-devnet-$name-n$i$" <<<"$envs" ||
    fail "env --node $i: $envs"
  ip netns list | grep -q "^hayate-$name-node$i\b" || fail "no namespace hayate-$name-node$i"
done
[[ $("$devnet" env --name "$name") == $("$devnet" env --name "$name" --node 1) ]] ||
  fail "env without --node is not node 1's"
"$devnet" env --name "$name" --node 4 >/dev/null 2>&1 && fail "env --node 4 of 3 nodes succeeded"
# the same candidates on every node: the first three nodes' MARS endpoints
cands='candidates = ["198.18.1.1:7300", "198.18.3.1:7300", "198.18.5.1:7300"]'
for i in 1 2 3; do
  grep -qF "$cands" "$state/node$i/hayate.conf" &&
    grep -qF "mars = { listen = \"$(cp_ip "$i")\";" "$state/node$i/hayate.conf" ||
    fail "node $i's MARS settings: $(grep mars "$state/node$i/hayate.conf")"
done

# 2. UDP to node 2's data plane: a token for node 2 opens a session, over
# IPv4 and IPv6; one for node 1 does not (the token is bound to its node)
if echo_to 2 2 && grep -q "connected to $(dp_ip 2):7100 over udp" <<<"$out" &&
   [[ $(grep -c '^echo [0-9]*: rtt' <<<"$out") == 2 ]]; then
  ok "UDP echo on node 2"
else
  fail "UDP echo on node 2: $out"
fi
if echo_to 2 2 --host "$(ip6_of 2)" && grep -q 'over udp' <<<"$out"; then
  ok "UDP echo on node 2 over IPv6"
else
  fail "UDP echo on node 2 over IPv6: $out"
fi
if echo_to 2 1 --timeout-ms 1500; then
  fail "node 2 accepted a token for node 1: $out"
else
  ok "node 2 refuses a token for node 1"
fi
# and a ticket from node 2's HTTP API (whichever node it names) works
if out=$("$devnet" exec --name "$name" --node 2 "$cli" --uid dn-http echo --count 1 2>&1) &&
   grep -q 'over udp' <<<"$out"; then
  ok "ticket from node 2's HTTP API: $(head -n 1 <<<"$out")"
else
  fail "echo with a ticket from node 2's HTTP API: $out"
fi

# 3. control-plane addresses route between the node namespaces
for i in 1 2 3; do
  for j in 1 2 3; do
    ((i == j)) && continue
    health "$j" "hayate-$name-node$i" || fail "node $i does not reach node $j's HTTP API"
  done
done
ok "every node reaches every other node's control-plane address"
# UDP on node 3's MARS address (a probe on a spare port, MARS may hold 7300)
probe_srv='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(30)
print("listening", flush=True)
d, a = s.recvfrom(100)
s.sendto(b"echo:" + d, a)'
probe_cli='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(5):
    s.sendto(b"mars-probe", (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recvfrom(100)[0].decode()); break
    except socket.timeout:
        pass'
ip netns exec "hayate-$name-node3" python3 -c "$probe_srv" "$(cp_ip 3)" 7399 >"$state/probe.log" 2>&1 &
probe_pid=$!
wait_for 10 grep -q listening "$state/probe.log" || fail "UDP probe server: $(cat "$state/probe.log")"
out=$(ip netns exec "hayate-$name-node1" python3 -c "$probe_cli" "$(cp_ip 3)" 7399 2>&1 || true)
if [[ $out == echo:mars-probe ]]; then ok "UDP from node 1 to node 3's MARS address"; else
  fail "UDP from node 1 to node 3's MARS address: '$out'"; fi
wait "$probe_pid" 2>/dev/null || true
probe_pid=

# 4. the nodes elect a MARS leader among the candidates and all list each
# other (wait-cluster)
if out=$("$devnet" wait-cluster --name "$name" --timeout 60 2>&1) &&
   [[ $out =~ ^leader=[123]\ term=[1-9][0-9]*\ nodes=1,2,3$ ]]; then
  ok "wait-cluster: $out"
else
  fail "wait-cluster: $out"
fi

# 5. node 3: pause and resume
dp3=$(pid_of 3 dataplane) cp3=$(pid_of 3 controlplane)
"$devnet" pause 3 --name "$name"
stopped "$dp3" && stopped "$cp3" || fail "pause 3: processes not stopped"
no_health 3 || fail "paused node 3 answers its healthcheck"
health 1 && health 2 || fail "nodes 1 and 2 while node 3 is paused"
out=$("$devnet" status --name "$name")
grep -q "controlplane: pid $cp3 (paused)" <<<"$out" || fail "status does not show the pause"
"$devnet" resume 3 --name "$name"
running "$dp3" && running "$cp3" || fail "resume 3: processes not running"
wait_for 30 health 3 && ok "node 3 paused and resumed" || fail "resumed node 3 does not answer"

# 6. node 3: cut and heal
"$devnet" cut 3 --name "$name"
no_health 3 || fail "cut node 3 answers its healthcheck"
no_health 3 "hayate-$name-node1" || fail "node 1 reaches cut node 3"
no_health 1 "hayate-$name-node3" || fail "cut node 3 reaches node 1"
echo_to 3 3 --timeout-ms 1500 && fail "UDP echo reaches cut node 3: $out"
running "$dp3" && running "$cp3" || fail "cut node 3's processes stopped"
health 1 && health 2 || fail "nodes 1 and 2 while node 3 is cut"
"$devnet" heal 3 --name "$name"
wait_for 30 health 3 || fail "healed node 3 does not answer"
wait_for 30 health 3 "hayate-$name-node1" || fail "node 1 does not reach healed node 3"
wait_for 30 health 2 "hayate-$name-node3" || fail "healed node 3 does not reach node 2"
if echo_to 3 3 && grep -q 'over udp' <<<"$out" && echo_to 3 3 --host "$(ip6_of 3)"; then
  ok "node 3 cut and healed (UDP over IPv4 and IPv6 again)"
else
  fail "UDP to healed node 3: $out"
fi

# 7. node 3: kill, start, kill
"$devnet" kill 3 --name "$name"
gone "$dp3" && gone "$cp3" || fail "kill 3: processes still there"
# the two others keep (or elect) a leader among themselves
if out=$("$devnet" wait-cluster --name "$name" --timeout 60 2>&1) &&
   [[ $out =~ ^leader=[12]\ term=[1-9][0-9]*\ nodes=1,2$ ]]; then
  ok "wait-cluster without node 3: $out"
else
  fail "wait-cluster without node 3: $out"
fi
no_health 3 || fail "killed node 3 answers"
health 1 && health 2 || fail "nodes 1 and 2 after node 3 was killed"
out=$("$devnet" status --name "$name")
grep -q 'dataplane: killed' <<<"$out" || fail "status does not show the kill"
"$devnet" start 3 --name "$name"
record_pids
wait_for 30 health 3 || fail "node 3 does not answer after start"
echo_to 3 3 && ok "node 3 killed and started again" || fail "UDP to restarted node 3: $out"
out=$("$devnet" wait-cluster --name "$name" --timeout 60 2>&1) && [[ $out == *nodes=1,2,3 ]] ||
  fail "node 3 does not rejoin the cluster: $out"
"$devnet" restart-controlplane --name "$name" --node 2
record_pids
wait_for 30 health 2 || fail "node 2 does not answer after restart-controlplane --node 2"
"$devnet" kill 3 --name "$name"
"$devnet" pause 2 --name "$name"

# 8. up on an existing network is refused
if out=$("$devnet" up --name "$name" --nodes 3 --build "$build" 2>&1); then
  fail "up on an existing network succeeded"
else
  grep -q "exists" <<<"$out" && ok "up again refused: $out" || fail "up again: $out"
fi

# 9. down (after a kill and a pause) leaves nothing behind, and runs twice
"$devnet" down --name "$name"
"$devnet" down --name "$name" >/dev/null || fail "a second down failed"
for p in "${all_pids[@]}"; do
  wait_for 15 gone "$p" || fail "process $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) left after down"
done
left=$(ip netns list | grep -E "^hayate-$name-" || true)
[[ -z $left ]] || fail "namespaces left: $left"
left=$(ip -br link | grep -E "^hy-$name-" || true)
[[ -z $left ]] || fail "veths left: $left"
left=
for f in /dev/shm/hayate-devnet-"$name" /dev/shm/hayate-devnet-"$name"-* \
         /var/run/dpdk/hayate-devnet-"$name" /var/run/dpdk/hayate-devnet-"$name"-*; do
  if [[ -e $f ]]; then left+=" $f"; fi
done
[[ -z $left ]] || fail "shared memory or DPDK runtime left:$left"
[[ ! -e $state ]] || fail "state directory left: $state"
((status == 0)) && ok "down left nothing behind"

exit "$status"
