#!/usr/bin/env bash
# hayate-cli against the reference responder on loopback (UDP and TCP) and
# the stand-in for POST /v1/auth: echo with a minted token, mint + --ticket -,
# auth over HTTP, echo over TCP, refusals, usage errors.
set -euo pipefail
cli=$1 responder=$2 stub=$3
tmp=$(mktemp -d)
pid= stub_pid= mover_pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [[ -n $mover_pid ]] && kill "$mover_pid" 2>/dev/null && wait "$mover_pid" 2>/dev/null
  [[ -n $stub_pid ]] && kill "$stub_pid" 2>/dev/null && wait "$stub_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# The test's own settings only: nothing inherited from a devnet shell.
unset HAYATE_HTTP_URL HAYATE_APP_KEY HAYATE_CLUSTER_KEY_FILE HAYATE_UDP_HOST HAYATE_UDP_PORT \
      HAYATE_TCP_HOST HAYATE_TCP_PORT HAYATE_NODE_ID
fail() { echo "FAIL: $*"; exit 1; }

umask 077
printf '# test key\n3 %s\n' "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" > "$tmp/cluster.key"
"$responder" --key-file "$tmp/cluster.key" --node-id 9 --tcp > "$tmp/responder.out" &
pid=$!
for _ in $(seq 100); do grep -q '^tcp' "$tmp/responder.out" && break; sleep 0.05; done
port=$(awk '/listening/ {print $3}' "$tmp/responder.out")
tcp_port=$(awk '/^tcp/ {print $3}' "$tmp/responder.out")
[[ -n $port && -n $tcp_port ]] || fail "responder did not start"
"$stub" --key-file "$tmp/cluster.key" --node-id 9 --app-key test-app-key \
  --udp-port "$port" --tcp-port "$tcp_port" > "$tmp/stub.out" &
stub_pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/stub.out" && break; sleep 0.05; done
url=$(awk '/listening/ {print $2}' "$tmp/stub.out")
[[ -n $url ]] || fail "auth stub did not start"

# echo with a token minted from the key file, settings from the environment
out=$(HAYATE_CLUSTER_KEY_FILE=$tmp/cluster.key HAYATE_UDP_HOST=127.0.0.1 HAYATE_UDP_PORT=$port \
      HAYATE_NODE_ID=9 "$cli" --count 2 --interval-ms 0 echo)
echo "$out"
[[ $(grep -c '^echo [12]: rtt .* ms, you are 127.0.0.1:[0-9]*, node ONLINE$' <<<"$out") == 2 ]] \
  || fail "echo output"

# mint, then connect with the JSON ticket from standard input
"$cli" --key-file "$tmp/cluster.key" --host 127.0.0.1 --port "$port" --node-id 9 --uid alice mint \
  > "$tmp/ticket.json"
grep -q '"uid":"alice"' "$tmp/ticket.json" || fail "mint output"
"$cli" --ticket - --count 1 echo < "$tmp/ticket.json" | grep -q '^echo 1:' || fail "echo with --ticket"
# the same ticket again: one token, one session
if "$cli" --ticket "$tmp/ticket.json" --count 1 echo 2> "$tmp/err"; then fail "reused ticket accepted"; fi
grep -q 'DENIED TOKEN_REUSED' "$tmp/err" || fail "reuse error: $(cat "$tmp/err")"

# a token for another node gets silence: the client times out
if "$cli" --key-file "$tmp/cluster.key" --host 127.0.0.1 --port "$port" --node-id 10 \
     --timeout-ms 500 echo 2> "$tmp/err"; then fail "other-node token accepted"; fi
grep -q 'TIMED_OUT' "$tmp/err" || fail "other-node error: $(cat "$tmp/err")"

# auth: a ticket over HTTP, printed as JSON, usable with --ticket
"$cli" --http "$url" --app-key test-app-key --uid bob --transport tcp auth > "$tmp/bob.json"
cat "$tmp/bob.json"
grep -q '"uid":"bob"' "$tmp/bob.json" && grep -q '"transport":"tcp"' "$tmp/bob.json" \
  && grep -q "\"port\":$tcp_port" "$tmp/bob.json" || fail "auth output"
out=$("$cli" --ticket "$tmp/bob.json" --count 1 echo)
grep -q '^connected to 127.0.0.1:[0-9]* over tcp' <<<"$out" || fail "--ticket tcp echo: $out"

# echo over TCP, credentials from the HTTP tier (settings from the environment)
out=$(HAYATE_HTTP_URL=$url HAYATE_APP_KEY=test-app-key "$cli" --uid carol --transport tcp \
      --count 2 --interval-ms 0 echo hi)
echo "$out"
grep -q "^connected to 127.0.0.1:$tcp_port over tcp" <<<"$out" || fail "tcp connect line"
[[ $(grep -c '^echo [12]: rtt .* ms, you are 127.0.0.1:[0-9]*, node ONLINE: hi$' <<<"$out") == 2 ]] \
  || fail "tcp echo output"
# and over UDP from the same source; HTTP wins over the key file in the environment
out=$(HAYATE_HTTP_URL=$url HAYATE_APP_KEY=test-app-key HAYATE_CLUSTER_KEY_FILE=/nonexistent \
      "$cli" --uid dave --count 1 echo)
grep -q "^connected to 127.0.0.1:$port over udp" <<<"$out" || fail "udp echo over http: $out"

# a TCP token minted from the key file
out=$(HAYATE_CLUSTER_KEY_FILE=$tmp/cluster.key HAYATE_TCP_HOST=127.0.0.1 HAYATE_TCP_PORT=$tcp_port \
      HAYATE_NODE_ID=9 "$cli" --transport tcp --count 1 echo)
grep -q '^echo 1: rtt' <<<"$out" || fail "minted tcp echo: $out"

# a MOVE read while echo pauses between two echoes: the next echo waits
# for the new session instead of failing on a session still connecting
"$responder" --key-file "$tmp/cluster.key" --node-id 9 --move-after 2 > "$tmp/mover.out" &
mover_pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/mover.out" && break; sleep 0.05; done
mport=$(awk '/listening/ {print $3}' "$tmp/mover.out")
[[ -n $mport ]] || fail "moving responder did not start"
out=$("$cli" --key-file "$tmp/cluster.key" --host 127.0.0.1 --port "$mport" --node-id 9 \
      --count 5 --interval-ms 200 echo 2>&1) || fail "echo across a MOVE: $out"
kill "$mover_pid"; wait "$mover_pid" 2>/dev/null || true
mover_pid=
echo "$out"
grep -q '^move pushed to 1 session' "$tmp/mover.out" || fail "no MOVE pushed: $(cat "$tmp/mover.out")"
grep -q '^moved to node 9 (node draining), session ' <<<"$out" || fail "no 'moved' line: $out"
[[ $(grep -c '^echo [1-5]: rtt' <<<"$out") == 5 ]] || fail "echoes across the MOVE: $out"

# refusals from the HTTP tier exit 1 and say why
set +e
"$cli" --http "$url" --app-key wrong-key auth 2> "$tmp/err"; [[ $? == 1 ]] || fail "bad app key exit"
grep -q 'HTTP 401: missing or unknown app key' "$tmp/err" || fail "401 message: $(cat "$tmp/err")"
"$cli" --http "$url" --app-key test-app-key --uid reply-garbage auth 2> "$tmp/err"
[[ $? == 1 ]] && grep -q 'HTTP 200, but ticket: invalid JSON' "$tmp/err" || fail "garbage: $(cat "$tmp/err")"
"$cli" --http "$url" --app-key test-app-key --uid reply-slow --timeout-ms 300 auth 2> "$tmp/err"
[[ $? == 1 ]] && grep -q 'timed out' "$tmp/err" || fail "slow: $(cat "$tmp/err")"
# a wrong-node TCP token: the node closes without a word
"$cli" --key-file "$tmp/cluster.key" --host 127.0.0.1 --port "$tcp_port" --node-id 10 \
  --transport tcp echo 2> "$tmp/err"; [[ $? == 1 ]] || fail "wrong-node tcp exit"
grep -q 'DISCONNECTED: .*closed the connection before answering' "$tmp/err" \
  || fail "wrong-node tcp message: $(cat "$tmp/err")"
# nothing listening on TCP
"$cli" --key-file "$tmp/cluster.key" --host 127.0.0.1 --port 1 --node-id 9 --transport tcp \
  echo 2> "$tmp/err"; [[ $? == 1 ]] && grep -q 'ERROR: connect to 127.0.0.1:1: Connection refused' \
  "$tmp/err" || fail "refused: $(cat "$tmp/err")"
set -e

# usage errors exit 2 with a message
set +e
"$cli" --transport sctp echo 2> "$tmp/err"; [[ $? == 2 ]] || fail "bad --transport exit"
"$cli" --http "$url" auth 2> "$tmp/err"; [[ $? == 2 ]] && grep -q 'needs --app-key' "$tmp/err" \
  || fail "auth without app key"
"$cli" --key-file "$tmp/cluster.key" auth 2> "$tmp/err"; [[ $? == 2 ]] || fail "auth without --http"
"$cli" --http "$url" --key-file "$tmp/cluster.key" echo 2> "$tmp/err"; [[ $? == 2 ]] \
  || fail "two ticket sources"
"$cli" echo a b 2> "$tmp/err"; [[ $? == 2 ]] || fail "extra arguments"
"$cli" --help | grep -q -- '--http URL' || fail "--help lacks --http"
"$cli" frobnicate 2> "$tmp/err"; [[ $? == 2 ]] || fail "unknown command exit"
"$cli" --count 0 echo 2> "$tmp/err"; [[ $? == 2 ]] || fail "bad --count exit"
grep -q -- '--count: expected an integer' "$tmp/err" || fail "bad --count message"
env -u HAYATE_CLUSTER_KEY_FILE "$cli" echo 2> "$tmp/err"; [[ $? == 2 ]] || fail "no ticket exit"
chmod 644 "$tmp/cluster.key"
"$cli" --key-file "$tmp/cluster.key" --host 127.0.0.1 --port 1 echo 2> "$tmp/err"
[[ $? == 2 ]] && grep -q 'chmod 600' "$tmp/err" || fail "world-readable key file accepted"
"$cli" --help | grep -q '^usage: hayate-cli' || fail "--help"
set -e
echo "cli: all checks passed"
