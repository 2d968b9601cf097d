#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One end-to-end case of a whole node on devnet (needs root): hayate-dataplane
# and hayate-controlplane, clients in the client namespace using the HTTP
# API, UDP through the data plane and TCP through the control plane.
#   run.sh CASE BUILD_DIR SOURCE_DIR
# CASE: auth-echo admin kick drain restart metrics impair room room-impair loadgen hold
# Each case brings up a devnet of its own (unique name) and always takes it
# down again, whatever happened; background clients are stopped by pid.
set -Eeuo pipefail
case=$1 build=$2 src=$3
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: needs root (network namespaces)"
  exit 77
fi
devnet=$src/scripts/devnet
client=$build/tests/dataplane/integration/itest_client
cli=$build/client/hayate-cli
name=n$(printf '%s' "$case" | tr -cd 'a-z' | cut -c1-3)$((RANDOM % 10000))
state=${HAYATE_DEVNET_STATE:-/run/hayate-devnet}/$name
bg=()

cleanup() {
  local p
  # a control plane the hold case stopped must run to be stopped again
  [[ ${stopped:-0} == 1 ]] && kill -CONT "$cp_pid" 2>/dev/null
  # background clients of ours still running (a failed case); devnet exec
  # execs into the client, so these pids are the clients themselves
  for p in "${bg[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  "$devnet" down --name "$name" >/dev/null 2>&1 || true
  perf_memory_release # what the loadgen case reserved, if anything
  # the generator's EAL files, on hugepages more than its sockets
  rm -rf /var/run/dpdk/hy-node-"$name"-lg
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# status, fail, ok, wait_for
source "$(dirname "${BASH_SOURCE[0]}")/../support/lib.sh"

opts=()
[[ $case == drain ]] && opts=(--drain-timeout-s 20)
# the impairment of the issue's acceptance run: every client through it
impair_spec=loss=0.2,dup=0.1,reorder=0.1,delay=5ms,jitter=20ms,seed=1
[[ $case == impair || $case == room-impair ]] && opts=(--impair "$impair_spec")
# the smallest queues between the worker and the control plane, so that a
# few hundred commands fill them
[[ $case == hold ]] && opts=(--ring-slots 256 --event-slots 64)
memif_sock=/tmp/hy-node-$name.sock
# perf_memory_*: the loadgen case takes its memory the way perf/bench does,
# hugepages when the kernel gives them (devnet --hugepages), else 4 KiB
source "$src/perf/common/memory.sh"
if [[ $case == loadgen ]]; then
  # short timers: the storm's sessions time out together, during the relay
  # run, a burst of closes the control plane must hear of (checked last)
  opts=(--memif "$memif_sock" --idle-timeout-ms 2000 --keepalive-ms 500)
  # the node (devnet's default -m, 375 MB) and the generator (256)
  perf_memory_choose auto 700 || fail "perf_memory_choose auto"
  [[ $PERF_MEMORY == hugepages ]] && opts+=(--hugepages)
  echo "memory: $PERF_MEMORY"
fi
"$devnet" up --name "$name" --build "$build" "${opts[@]}"
eval "$("$devnet" env --name "$name")"
dp_pid=$(cat "$state/dataplane.pid")
cp_pid=$(cat "$state/controlplane.pid")

in_ns() { "$devnet" exec --name "$name" "$@"; }
# dp COUNTER: the data plane's counter, summed over its lcores
dp() { "$build/dataplane/hayate-dpstat" --shm "$HAYATE_STATS_SHM" "$1" | awk '{print $2}'; }
# cp_count SAMPLE: a sample's value in the last /metrics body (expect ... GET /metrics)
cp_count() { sed -n "s/^$1 \([0-9]*\)\$/\1/p" "$state/body"; }
alive() { kill -0 "$1" 2>/dev/null; }

# req METHOD PATH [SECRET]: HTTP status code on stdout, body in $state/body.
req() {
  local auth=()
  [[ -n ${3:-} ]] && auth=(-H "Authorization: Bearer $3")
  in_ns curl -s -m 5 -o "$state/body" -w '%{http_code}' -X "$1" "${auth[@]}" \
    "$HAYATE_HTTP_URL$2" || true
}
# expect CODE METHOD PATH [SECRET] [BODY_REGEX]
expect() {
  local want=$1 got
  got=$(req "$2" "$3" "${4:-}")
  if [[ $got != "$want" ]]; then
    fail "$2 $3: status $got, expected $want: $(cat "$state/body" 2>/dev/null)"
  elif [[ -n ${5:-} ]] && ! grep -Eq -- "$5" "$state/body"; then
    fail "$2 $3: body does not match /$5/: $(cat "$state/body")"
  else
    echo "ok: $2 $3 -> $got"
  fi
}
auth_post() { # auth_post [SECRET]: POST /v1/auth for uid e2e; prints the status
  local auth=()
  [[ -n ${1:-} ]] && auth=(-H "Authorization: Bearer $1")
  in_ns curl -s -m 5 -o "$state/body" -w '%{http_code}' "${auth[@]}" \
    -H 'Content-Type: application/json' -d '{"uid":"e2e","transport":"udp"}' \
    "$HAYATE_HTTP_URL/v1/auth" || true
}

session_known() { [[ $(req GET "/v1/sessions/$1" "$HAYATE_ADMIN_TOKEN") == 200 ]]; }
session_gone() { [[ $(req GET "/v1/sessions/$1" "$HAYATE_ADMIN_TOKEN") == 404 ]]; }
echoes() { grep -c '^session: echo ' "$1" || true; }
more_echoes() { (($(echoes "$1") >= $2)); }
dead() { ! alive "$1"; }
more_stats() { (($(grep -c '^hayate-impair: stats' "$1" || true) >= $2)); }

# session TRANSPORT UNTIL [HOLD]: starts the itest client in the
# background (log $state/session-N.log); sets $log, $spid and $sid once
# it is connected.
nsess=0
session() {
  nsess=$((nsess + 1))
  log=$state/session-$nsess.log
  # a simple command, not a function: $! is then the client itself
  "$devnet" exec --name "$name" "$client" session "$@" >"$log" 2>&1 &
  spid=$!
  bg+=("$spid")
  wait_for 15 grep -q '^session: connected' "$log" || { cat "$log"; fail "session did not connect"; exit 1; }
  sid=$(sed -n 's/^session: connected [a-z]* sid \([0-9a-f]*\)$/\1/p' "$log")
  echo "session $1 sid $sid"
}
# finish: waits (bounded) for the background client, checks its status.
finish() {
  local t
  wait_for 20 dead "$spid" || fail "client still running"
  if wait "$spid"; then echo "ok: client passed"; else fail "client failed"; fi
  cat "$log" | grep -v '^session: echo ' || true
}

case $case in
  auth-echo)
    # (a) a ticket over HTTP, then echo over UDP (data plane) and TCP
    # (control plane), credentials from POST /v1/auth each time
    out=$(in_ns "$cli" auth --uid e2e-alice) || fail "hayate-cli auth"
    echo "$out" | cut -c1-120
    grep -q '"transport":"udp"' <<<"$out" && grep -q '"token":"' <<<"$out" &&
      grep -q "\"host\":\"$HAYATE_UDP_HOST\"" <<<"$out" || fail "ticket JSON: $out"
    out=$(in_ns "$cli" echo --count 3 --interval-ms 50) || fail "hayate-cli echo udp"
    echo "$out"
    grep -q "over udp" <<<"$out" && [[ $(grep -c '^echo [0-9]*: rtt' <<<"$out") == 3 ]] ||
      fail "UDP echo output"
    out=$(in_ns "$cli" --http "$HAYATE_HTTP_URL" --app-key "$HAYATE_APP_KEY" --uid e2e-bob \
          --transport tcp echo --count 3 --interval-ms 50) || fail "hayate-cli echo tcp"
    echo "$out"
    grep -q "to $HAYATE_TCP_HOST:$HAYATE_TCP_PORT over tcp" <<<"$out" &&
      [[ $(grep -c '^echo [0-9]*: rtt' <<<"$out") == 3 ]] || fail "TCP echo output"
    # a wrong app key is refused by the HTTP API, and the CLI says so
    if in_ns "$cli" --app-key "wrong-key-0123456789abcdef0123456789" auth >"$state/body" 2>&1; then
      fail "auth with a wrong app key succeeded"
    else
      echo "ok: wrong app key refused: $(cat "$state/body")"
    fi
    ;;
  admin)
    # (b) 401 without a key; the admin API with and without the token
    [[ $(auth_post) == 401 ]] && grep -q missing_credentials "$state/body" && echo "ok: POST /v1/auth -> 401" ||
      fail "POST /v1/auth without a key: $(cat "$state/body")"
    expect 401 GET /v1/nodes "" missing_credentials
    expect 401 GET /v1/nodes "not-the-token-0123456789abcdef0123456" invalid_credentials
    expect 403 GET /v1/nodes "$HAYATE_APP_KEY" forbidden
    expect 200 GET /v1/nodes "$HAYATE_ADMIN_TOKEN" '"state":"ONLINE"'
    expect 401 GET /v1/sessions
    session udp "$state/stop"
    wait_for 10 session_known "$sid" || fail "session $sid not in the registry"
    expect 200 GET /v1/sessions "$HAYATE_ADMIN_TOKEN" "\"sid\":\"$sid\""
    expect 200 GET "/v1/sessions/$sid" "$HAYATE_ADMIN_TOKEN" '"transport":"udp"'
    expect 403 GET "/v1/sessions/$sid" "$HAYATE_APP_KEY"
    expect 404 GET /v1/sessions/0123456789abcdef "$HAYATE_ADMIN_TOKEN" unknown_session
    expect 401 DELETE "/v1/sessions/$sid"
    expect 401 POST /v1/drain
    expect 200 GET /healthcheck
    touch "$state/stop"
    finish
    ;;
  kick)
    # (c) DELETE /v1/sessions/{sid}: the client sees DISCONNECTED KICKED
    for tr in udp tcp; do
      session "$tr" kicked
      wait_for 10 session_known "$sid" || fail "$tr session $sid not in the registry"
      wait_for 5 more_echoes "$log" 2 || fail "no echo on the $tr session"
      expect 202 DELETE "/v1/sessions/$sid" "$HAYATE_ADMIN_TOKEN"
      finish
      grep -q 'DISCONNECTED, reason KICKED' "$log" || fail "$tr client was not kicked"
      wait_for 10 session_gone "$sid" || fail "$tr session $sid still listed after the kick"
    done
    ;;
  drain)
    # (d) POST /v1/drain: echoes say OFFLINE, new tickets are refused,
    # both processes exit once the last session has left
    session udp offline "$state/leave"
    wait_for 10 session_known "$sid" || fail "session $sid not in the registry"
    expect 202 POST /v1/drain "$HAYATE_ADMIN_TOKEN"
    wait_for 20 grep -q '^session: holding' "$log" || fail "no echo reported OFFLINE"
    [[ $(auth_post "$HAYATE_APP_KEY") == 503 ]] && grep -q '"draining"' "$state/body" ||
      fail "POST /v1/auth while draining: $(cat "$state/body")"
    echo "ok: POST /v1/auth -> 503 $(cat "$state/body")"
    expect 503 GET /healthcheck
    alive "$dp_pid" && alive "$cp_pid" || fail "a process left before the last session"
    touch "$state/leave"
    finish
    wait_for 15 dead "$dp_pid" || fail "data plane still running after the last session left"
    wait_for 15 dead "$cp_pid" || fail "control plane still running after the last session left"
    grep -q 'hayate-dataplane: stopped' "$state/dataplane.log" || fail "data plane did not stop cleanly"
    grep -q 'drained: no session left\|data plane detached' "$state/controlplane.log" ||
      fail "control plane did not report the end of the drain"
    cat "$state/dataplane.log" "$state/controlplane.log"
    exit $status
    ;;
  restart)
    # (e) kill -9 the control plane under a live UDP session: the data
    # plane keeps answering; a new control plane resyncs the session
    session udp "$state/stop"
    wait_for 10 session_known "$sid" || fail "session $sid not in the registry"
    kill -KILL "$cp_pid"
    wait_for 10 dead "$cp_pid" || fail "control plane survived SIGKILL"
    n=$(echoes "$log")
    wait_for 10 more_echoes "$log" $((n + 10)) ||
      fail "echoes stopped while the control plane was down"
    echo "ok: $(($(echoes "$log") - n)) echoes answered with no control plane"
    [[ $(req GET /healthcheck) == 000 ]] || fail "HTTP still answering with the control plane dead"
    "$devnet" restart-controlplane --name "$name"
    cp_pid=$(cat "$state/controlplane.pid")
    expect 200 GET "/v1/sessions/$sid" "$HAYATE_ADMIN_TOKEN" '"transport":"udp"'
    expect 200 GET /v1/sessions "$HAYATE_ADMIN_TOKEN" "\"sid\":\"$sid\""
    n=$(echoes "$log")
    wait_for 10 more_echoes "$log" $((n + 5)) || fail "echoes stopped after the restart"
    touch "$state/stop"
    finish
    grep -q "sid $sid, " "$log" || fail "the session changed"
    grep -q 'control plane detached' "$state/dataplane.log" || fail "data plane did not see the detach"
    grep -q 'state draining' "$state/dataplane.log" && fail "data plane drained"
    grep -q 'resync done: 1 UDP session' "$state/controlplane.log" ||
      fail "resync after the restart did not bring the session back"
    ;;
  metrics)
    # (f) /metrics carries data-plane and control-plane counters
    in_ns "$cli" echo --count 2 --interval-ms 20 >/dev/null || fail "UDP echo"
    in_ns "$cli" echo --transport tcp --count 2 --interval-ms 20 >/dev/null || fail "TCP echo"
    expect 200 GET /metrics
    m=$state/body
    for re in '^hayate_node_info\{.*\} 1$' '^hayate_dp_up 1$' '^hayate_dp_rx_packets_total [1-9]' \
              '^hayate_cp_dataplane_attached 1$' '^hayate_cp_tcp_accepted_total [1-9]' \
              '^hayate_http_auth_total\{outcome="ok"\} [1-9]' '^# TYPE hayate_dp_sessions gauge' \
              '^hayate_dp_lcore_busy_seconds_total\{lcore="1",role="worker"\} [0-9]+\.[0-9]{6}$' \
              '^hayate_dp_lcore_busy_seconds_total\{lcore="0",role="main"\} [0-9]+\.[0-9]{6}$'; do
      grep -Eq "$re" "$m" && echo "ok: /$re/" || fail "/metrics has no line /$re/"
    done
    # the worker's tx delay histogram counted every frame sent (the echoes'
    # answers among them), once: its +Inf bucket is its count and tx_packets
    inf=$(sed -n 's/^hayate_dp_tx_delay_seconds_bucket{le="+Inf"} \([0-9]*\)$/\1/p' "$m")
    cnt=$(sed -n 's/^hayate_dp_tx_delay_seconds_count \([0-9]*\)$/\1/p' "$m")
    tx=$(sed -n 's/^hayate_dp_tx_packets_total \([0-9]*\)$/\1/p' "$m")
    [[ -n $inf && $inf == "$cnt" && $inf == "$tx" && $inf -ge 2 ]] &&
      grep -Eq '^hayate_dp_tx_delay_seconds_sum [0-9]+\.[0-9]{9}$' "$m" &&
      echo "ok: tx delay histogram: $inf frames, as sent" ||
      fail "tx delay histogram: +Inf '$inf', count '$cnt', tx '$tx': $(grep tx_delay "$m")"
    echo "/metrics: $(grep -c '^hayate_dp' "$m") data-plane and $(grep -c '^hayate_cp' "$m")" \
      "control-plane samples"
    ;;
  impair)
    # (g) through hayate-impair (20% loss, 10% duplication, reordering,
    # delay and jitter, both ways): tickets and env name the proxy; the
    # handshake copes; echoes are unreliable, so the client counts answers
    # (with resends) and wants most back and every session still up;
    # the proxy dropped, duplicated and reordered, and the data plane's
    # replay window dropped the duplicates it received
    [[ $HAYATE_UDP_HOST == 198.18.0.2 && $HAYATE_UDP_PORT == 7101 ]] ||
      fail "env does not name the proxy: $HAYATE_UDP_HOST:$HAYATE_UDP_PORT"
    grep -q '^hayate-impair: ready listen=198.18.0.2:7101 upstream=198.18.0.1:7100 ' \
      "$state/impair.log" || fail "proxy not in the path: $(cat "$state/impair.log")"
    [[ $(auth_post "$HAYATE_APP_KEY") == 200 ]] &&
      grep -q '"host":"198.18.0.2","port":7101' "$state/body" ||
      fail "ticket does not name the proxy: $(cat "$state/body")"
    in_ns "$build/tests/node/impair_client" 4 200 >"$state/impair-client.log" 2>&1 ||
      fail "impair client"
    cat "$state/impair-client.log"
    im_pid=$(cat "$state/impair.pid")
    n=$(grep -c '^hayate-impair: stats' "$state/impair.log" || true)
    kill -USR1 "$im_pid"
    wait_for 5 more_stats "$state/impair.log" $((n + 1)) || fail "proxy printed no counters"
    st=$(grep '^hayate-impair: stats' "$state/impair.log" | tail -n 1)
    echo "$st"
    for c in up.in up.dropped up.duplicated up.reordered down.in down.dropped down.duplicated \
             down.reordered; do
      v=$(sed -n "s/.* $c=\([0-9]*\).*/\1/p" <<<"$st")
      ((${v:-0} > 0)) && echo "ok: proxy $c=$v" || fail "proxy $c is ${v:-missing}"
    done
    stats=$("$build/dataplane/hayate-dpstat" --shm "$HAYATE_STATS_SHM" --all 2>&1 || true)
    echo "$stats" | grep -Ei 'replay|connect|echo|session' | head -n 20
    replayed=$(sed -n 's/^ *[a-z_.]*REPLAYED[: =]*\([0-9][0-9]*\).*/\1/p' <<<"$stats" | head -n 1)
    # every copy the proxy added upstream is a packet number the node has
    # seen; a few may arrive after their session closed (other drops)
    dups=$(sed -n 's/.* up\.duplicated=\([0-9]*\).*/\1/p' <<<"$st")
    ((${replayed:-0} > 0 && ${replayed:-0} * 2 >= ${dups:-0})) &&
      echo "ok: data plane dropped $replayed replayed packets (proxy duplicated $dups)" ||
      fail "data plane counted ${replayed:-no} REPLAYED drops for $dups duplicates: $stats"
    # and the client's window dropped the copies of the node's replies
    grep -Eq '^impair-client: total .* rx_replayed=[1-9]' "$state/impair-client.log" ||
      fail "clients dropped no replayed reply"
    ;;
  room | room-impair)
    # dp COUNTER: the data plane's counter, summed over its lcores
    # The issue's acceptance run: 8 members, UDP and TCP alternating,
    # tickets over HTTP, each broadcasting reliably; every other member must
    # get each message exactly once and in order per sender (the CLI
    # checks, exit 1).  Through the proxy (20% loss) it is shorter: the
    # full 500 takes about 15 s there.
    m=500 m2=100
    [[ $case == room-impair ]] && m=100 m2=30
    want=$((8 * 7 * m)) half=$((8 * 7 * m / 2))
    out=$(in_ns "$cli" room-demo --members 8 --messages $m --transport mixed --reliable \
          --timeout-ms 30000 2>&1) || fail "hayate-cli room-demo (mixed)"
    echo "$out"
    grep -q "^delivered=$want expected=$want duplicates=0 reordered=0 " <<<"$out" ||
      fail "room-demo figures"
    grep -q "^udp: delivered=$half expected=$half\$" <<<"$out" &&
      grep -q "^tcp: delivered=$half expected=$half\$" <<<"$out" || fail "room-demo per transport"
    # A UDP-only room: every broadcast is relayed by the data plane, and
    # none of them reaches the control plane (only the room commands do).
    b0=$(dp relay_broadcasts) c0=$(dp commands) u0=$(dp relay_up) p0=$(dp relay_passed_up)
    out=$(in_ns "$cli" room-demo --members 6 --messages $m2 --transport udp --reliable \
          --timeout-ms 30000 2>&1) || fail "hayate-cli room-demo (udp)"
    echo "$out"
    grep -q "^delivered=$((30 * m2)) expected=$((30 * m2)) duplicates=0 reordered=0 " \
      <<<"$out" || fail "room-demo figures (udp)"
    b=$(($(dp relay_broadcasts) - b0)) c=$(($(dp commands) - c0))
    u=$(($(dp relay_up) - u0)) p=$(($(dp relay_passed_up) - p0))
    # 6 x m2 broadcasts; the commands that went up are the room's create,
    # joins and leaves (a dozen), not one per broadcast
    if ((b == 6 * m2 && c < 60 && u == 0 && p == 0)); then
      echo "ok: $b broadcasts relayed by the data plane; $c commands went up, no RELAY"
    else
      fail "data-plane relay: broadcasts=$b (want $((6 * m2))) commands_up=$c relay_up=$u" \
        "passed_up=$p"
    fi
    if [[ $status != 0 ]]; then
      "$build/dataplane/hayate-dpstat" --shm "$HAYATE_STATS_SHM" --all 2>&1 | grep -v ' 0$' || true
    fi
    ;;
  loadgen)
    # hayate-loadgen on the node's memif port (as perf/bench drives it),
    # briefly: a connect storm, rooms of 3 with broadcasts, a garbage flood
    lg() {
      # shellcheck disable=SC2046 # EAL's memory options are several words
      ip netns exec "hayate-$name-node" "$build/perf/loadgen/hayate-loadgen" -l 0 \
        $(perf_eal_memory 256) --no-pci --file-prefix="hy-node-$name-lg" \
        --vdev "net_memif0,role=client,socket=$memif_sock" --log-level=lib.eal:error -- \
        --node-ip 198.18.0.1 "${lg_auth[@]}" "$@" 2>&1
    }
    lg_auth=(--key-file "$state/cluster.key") # tokens minted with the cluster key
    out=$(lg --mode connect --sessions 300 --client-ip 198.18.50.1 --seconds 20) ||
      fail "loadgen connect: $out"
    # (before the clock: 2048 CONNECTs of one client, each answered)
    grep -q 'BENCH name=connect_storm .* accepted=300 denied=0 .* warmup_challenges=[1-9]' <<<"$out" &&
      echo "ok: connect storm: 300 handshakes, after a warm-up the node answered" ||
      fail "connect storm: $out"
    # a storm larger than the queues between the worker and the control
    # plane (4096 events): nothing lost on the way, the control plane hears
    # of every session (a RESPONSE waits for the client's resend instead)
    out=$(lg --mode connect --sessions 12000 --client-ip 198.18.52.1 --seconds 60) ||
      fail "loadgen connect 12000: $out"
    grep -q 'BENCH name=connect_storm .* accepted=12000 denied=0 ' <<<"$out" ||
      fail "connect storm of 12000: $out"
    # (counted as they arrive, not as the registry holds them: the
    # sessions time out 2 s after their client stops, maybe before the
    # control plane is asked)
    opened=$(dp sessions_opened)
    cp_opened() { cp_count 'hayate_cp_ring_link_events_total{event="sessions_opened"}'; }
    cp_knows() {
      expect 200 GET /metrics >/dev/null
      [[ $(cp_opened) == "$opened" ]]
    }
    if wait_for 20 cp_knows; then
      echo "ok: the control plane heard of all $opened sessions (events_full $(dp events_full)," \
        "ring_full $(dp ring_full), waited RESPONSEs $(dp drop.EVENTS_FULL))"
    else
      fail "the control plane heard of $(cp_opened) of $opened sessions" \
        "(events_full $(dp events_full), ring_full $(dp ring_full))"
    fi
    [[ $(dp events_full) == 0 && $(dp ring_full) == 0 ]] || fail "events dropped on the way up"
    # then a burst of closes while the main lcore cannot run: the storm's
    # sessions time out (after 2 s) while a real-time busy loop holds CPU 0
    # (timeout outside: a task of the same real-time priority on CPU 0
    # would never run to stop the loop)
    timeout 3 taskset -c 0 chrt -f 50 sh -c 'while :; do :; done' &
    hog=$!
    bg+=("$hog")
    wait "$hog" || true
    # expect_all_closed WHAT: every session timed out, and the control plane
    # heard of each close (none dropped on the way up)
    cp_closed() { cp_count 'hayate_cp_ring_link_events_total{event="sessions_closed"}'; }
    all_closed() {
      expect 200 GET /metrics >/dev/null
      [[ $(cp_count 'hayate_cp_sessions{transport="udp"}') == 0 &&
         $(dp sessions) == 0 && $(cp_closed) == "$(dp sessions_closed)" ]]
    }
    expect_all_closed() {
      if wait_for 30 all_closed; then
        echo "ok: $1 closed, the control plane heard of each close" \
          "($(dp events_late) waited for room, events_full $(dp events_full))"
      else
        fail "after the timeouts: data plane $(dp sessions) sessions, control plane" \
          "$(cp_count 'hayate_cp_sessions{transport="udp"}');" \
          "closes: data plane $(dp sessions_closed), heard by the control plane $(cp_closed)" \
          "(events_full $(dp events_full))"
      fi
      [[ $(dp events_full) == 0 ]] || fail "close events dropped: $(dp events_full)"
    }
    expect_all_closed "the storm's sessions"
    # a storm while the control plane is stopped: the rings up fill, then
    # the worker holds the RESPONSEs it cannot open a session for yet
    # (responses_held) and opens them as the rings drain, when the control
    # plane runs again; every session is accepted
    kill -STOP "$cp_pid"
    stopped=1
    lg --mode connect --sessions 10000 --client-ip 198.18.60.1 --seconds 60 >"$state/storm-held.out" &
    sp=$!
    bg+=("$sp")
    held_responses() { (($(dp responses_held) > 0)); }
    wait_for 30 held_responses || fail "no RESPONSE held with the control plane stopped"
    kill -CONT "$cp_pid"
    stopped=0
    wait "$sp" || fail "loadgen storm with the control plane stopped: $(cat "$state/storm-held.out")"
    grep -q 'BENCH name=connect_storm .* accepted=10000 denied=0 ' "$state/storm-held.out" &&
      echo "ok: a storm the control plane was stopped for: all 10000 accepted," \
        "$(dp responses_held) RESPONSEs held, $(($(dp drop.EVENTS_FULL) - $(dp responses_held)))" \
        "left to the client's resend" ||
      fail "storm with the control plane stopped: $(cat "$state/storm-held.out")"
    expect_all_closed "that storm's sessions"
    out=$(lg --mode relay --sessions 12 --room-size 3 --seconds 2 --interval-ms 250) ||
      fail "loadgen relay: $out"
    # every interval delivered pushes and opened all it received; a push of
    # the default 64 bytes of data is a 120-byte datagram (docs/protocol.md:
    # header 17, UNRELIABLE frame 3, response 4, room id and sender 16, tag 16)
    if grep -q '^BENCH name=relay_1to2 value=[0-9.]*[1-9].* push_bytes=120 ' <<<"$out" &&
       ! grep '^interval' <<<"$out" | grep -qv ' rx_bad=0 '; then
      echo "ok: relay through the data plane: $(grep '^BENCH' <<<"$out")"
    else
      fail "loadgen relay: $out"
    fi
    # rooms of the same size with every broadcast on the reliable channel,
    # as fast as the generator's end-to-end window lets it: pushes
    # delivered, none opened badly, no session closed as a slow consumer
    # (clients of their own addresses: the last run's sessions are still
    # open and send their keepalives to theirs)
    out=$(lg --mode relay --sessions 12 --room-size 3 --seconds 2 --interval-ms 250 --quiet \
      --reliable --client-ip 198.18.54.1) || fail "loadgen relay --reliable: $out"
    if grep -q '^BENCH name=relay_1to2 value=[0-9.]*[1-9].* reliable=1 ' <<<"$out" &&
       ! grep '^interval' <<<"$out" | grep -qv ' rx_bad=0 ' && [[ $(dp slow_consumers) == 0 ]]; then
      echo "ok: reliable relay through the data plane: $(grep '^BENCH' <<<"$out")"
    else
      fail "loadgen relay --reliable ($(dp slow_consumers) slow consumers): $out"
    fi
    # the node's room notifications and the reliable pushes: the generator
    # acknowledges them as a client does, so nothing stays held for resending
    held=$(dp rudp_pool_used) dead=$(dp dead_sessions)
    [[ $held == 0 && $dead == 0 ]] &&
      echo "ok: every reliable notification acknowledged ($(dp retransmits) resent)" ||
      fail "reliable units still held after the relay run: pool $held bytes, $dead sessions dead"
    # tickets fetched over HTTP, one POST /v1/auth per client, instead of
    # minted: the same relay through them; then a wrong app key is refused
    # by name and the generator stops
    lg_auth=(--http "$HAYATE_HTTP_URL" --app-key "$HAYATE_APP_KEY")
    out=$(lg --mode relay --sessions 6 --room-size 3 --seconds 1 --interval-ms 250 \
      --client-ip 198.18.56.1) || fail "loadgen relay --http: $out"
    grep -q '^tickets 6 fetched from ' <<<"$out" &&
      grep -q '^BENCH name=relay_1to2 value=[0-9.]*[1-9]' <<<"$out" &&
      echo "ok: relay with tickets fetched over HTTP: $(grep '^tickets' <<<"$out")" ||
      fail "loadgen relay --http: $out"
    lg_auth=(--http "$HAYATE_HTTP_URL" --app-key not-the-key)
    if out=$(lg --mode relay --sessions 3 --room-size 3 --seconds 1 --client-ip 198.18.58.1); then
      fail "loadgen ran with a wrong app key: $out"
    else
      grep -q 'ticket 0 from .*HTTP 401: invalid_credentials' <<<"$out" &&
        echo "ok: a wrong app key: $(grep 'HTTP 401' <<<"$out")" || fail "loadgen, wrong app key: $out"
    fi
    lg_auth=(--key-file "$state/cluster.key")
    d0=$(dp drops)
    # the worker's load over a window the flood falls into (hayate-dpstat --load)
    "$build/dataplane/hayate-dpstat" --shm "$HAYATE_STATS_SHM" --load 4 >"$state/load.txt" &
    lp=$!
    bg+=("$lp")
    out=$(lg --mode flood --seconds 2 --interval-ms 250) || fail "loadgen flood: $out"
    d=$(($(dp drops) - d0))
    ((d > 1000)) && echo "ok: flood: $d garbage frames dropped and counted" ||
      fail "flood: drops moved by $d: $out"
    wait "$lp" || fail "hayate-dpstat --load failed: $(cat "$state/load.txt")"
    load=$(awk '$1 == "lcore" && $3 == "worker" { print $5 }' "$state/load.txt")
    grep -q '^lcore 0 main load [0-9.]*$' "$state/load.txt" || fail "no main lcore load: $(cat "$state/load.txt")"
    awk -v l="$load" 'BEGIN { exit !(l != "" && l >= 0.05 && l <= 1.05) }' &&
      echo "ok: worker load $load over 4 s with 2 s of flood" ||
      fail "worker load '$load' during the flood: $(cat "$state/load.txt")"
    # every session has timed out by now or soon: none left behind
    expect_all_closed "all $(dp sessions_closed) sessions"
    ;;
  hold)
    # Reliable commands while the control plane cannot take them (stopped):
    # the ring up and the worker's event queue fill (256 ring slots, 64
    # events; a 3600-byte command takes eight ring slots), then the node holds the
    # commands in the session's reliable channel, acknowledged up to its
    # receive window and resent by the client beyond it, and passes every
    # one up once the control plane runs again.  None may be lost.
    # First, 100 commands: about 90 fill the queues, the others (four units
    # each) fit the node's receive window, so the node acknowledges every one
    # while the control plane is stopped, and the client, done, disconnects.
    # The session ends holding commands the client was told arrived: they
    # must still reach the control plane, and before the close.
    go=$state/go-a
    "$devnet" exec --name "$name" "$client" burst 100 3600 "$go" >"$state/burst-a.log" 2>&1 &
    bpid=$!
    bg+=("$bpid")
    wait_for 15 grep -q '^burst: connected' "$state/burst-a.log" ||
      fail "burst client did not connect: $(cat "$state/burst-a.log")"
    expect 200 GET /metrics
    c0=$(cp_count hayate_cp_commands_total)
    kill -STOP "$cp_pid"
    stopped=1
    touch "$go"
    wait_for 30 dead "$bpid" || fail "burst client still running with the control plane stopped"
    wait "$bpid" || fail "burst client failed: $(cat "$state/burst-a.log")"
    grep '^burst: ' "$state/burst-a.log"
    # (late events: the held commands, then the close)
    (($(dp commands_held) > 0 && $(dp events_late) > 1)) &&
      echo "ok: the session ended holding commands; they wait behind the full queue" \
        "($(dp events_late) late events)" ||
      fail "no held commands at the close: commands_held $(dp commands_held), events_late $(dp events_late)"
    kill -CONT "$cp_pid"
    stopped=0
    cp_has_a() {
      expect 200 GET /metrics >/dev/null
      [[ $(cp_count hayate_cp_commands_total) == $((c0 + 100)) &&
         $(cp_count 'hayate_cp_sessions{transport="udp"}') == 0 ]]
    }
    if wait_for 30 cp_has_a; then
      echo "ok: all 100 commands reached the control plane, then the close"
    else
      fail "after the close: the control plane handled $(($(cp_count hayate_cp_commands_total) - c0))" \
        "of 100 commands, knows $(cp_count 'hayate_cp_sessions{transport="udp"}') sessions"
    fi
    # Then 600, the control plane stopped for a second while they flow.
    n=600
    go=$state/go
    # a simple command, not a function: $! is then the client itself
    "$devnet" exec --name "$name" "$client" burst "$n" 3600 "$go" >"$state/burst.log" 2>&1 &
    bpid=$!
    bg+=("$bpid")
    wait_for 15 grep -q '^burst: connected' "$state/burst.log" ||
      fail "burst client did not connect: $(cat "$state/burst.log")"
    expect 200 GET /metrics
    c0=$(cp_count hayate_cp_commands_total)
    h0=$(dp commands_held)
    kill -STOP "$cp_pid"
    stopped=1
    touch "$go"
    held_some() { (($(dp commands_held) > h0)); }
    if wait_for 30 held_some; then
      echo "ok: commands held while the control plane is stopped ($(dp commands) passed up," \
        "$(dp commands_held) refusals)"
    else
      fail "nothing held: $(dp commands) commands passed up, events_full $(dp events_full)"
    fi
    sleep 1 # the client's resends wait too
    kill -CONT "$cp_pid"
    stopped=0
    wait_for 60 dead "$bpid" || fail "burst client still running"
    wait "$bpid" || fail "burst client failed: $(cat "$state/burst.log")"
    grep '^burst: ' "$state/burst.log"
    cp_has_all() {
      expect 200 GET /metrics >/dev/null
      [[ $(cp_count hayate_cp_commands_total) == $((c0 + n)) ]]
    }
    if wait_for 30 cp_has_all; then
      echo "ok: the control plane handled all $n commands"
    else
      fail "the control plane handled $(( $(cp_count hayate_cp_commands_total) - c0 ))" \
        "of $n commands (events_full $(dp events_full), ring_full $(dp ring_full))"
    fi
    [[ $(dp events_full) == 0 && $(dp ring_full) == 0 && $(dp commands) == $((n + 100)) ]] ||
      fail "commands lost on the way up: events_full $(dp events_full), ring_full $(dp ring_full)," \
        "passed up $(dp commands)"
    # Last, reliable broadcasts of a UDP member to a TCP member of its room:
    # the data plane relays them up for the control plane to deliver.  A
    # relayed push has no client to resend it, so while the queues are
    # full it waits on the worker's late list; none may be lost.  (600:
    # the first 320 or so fill the ring up and the event queue.)
    go=$state/go-room
    "$devnet" exec --name "$name" "$client" roomhold 600 "$go" >"$state/roomhold.log" 2>&1 &
    bpid=$!
    bg+=("$bpid")
    wait_for 15 grep -q '^roomhold: ready' "$state/roomhold.log" ||
      fail "room clients not ready: $(cat "$state/roomhold.log")"
    l0=$(dp events_late)
    kill -STOP "$cp_pid"
    stopped=1
    touch "$go"
    late_relays() { (($(dp events_late) - l0 > 100)); }
    wait_for 30 late_relays &&
      echo "ok: relayed pushes wait on the late list ($(($(dp events_late) - l0)))" ||
      fail "relayed pushes did not wait: events_late +$(($(dp events_late) - l0)), events_full $(dp events_full)"
    kill -CONT "$cp_pid"
    stopped=0
    wait_for 60 dead "$bpid" || fail "room clients still running"
    wait "$bpid" || fail "room clients failed: $(cat "$state/roomhold.log")"
    grep '^roomhold: ' "$state/roomhold.log"
    [[ $(dp events_full) == 0 ]] || fail "events lost: events_full $(dp events_full)"
    ;;
  *) echo "unknown case $case"; exit 2 ;;
esac
alive "$dp_pid" || fail "hayate-dataplane died"
alive "$cp_pid" || fail "hayate-controlplane died"
if ((status)); then
  for f in "$state"/*.log; do echo "--- $f"; cat "$f"; done
fi
exit $status
