#!/usr/bin/env bash
# hayate-cli against the reference responder on loopback: echo with a minted
# token, mint + --ticket -, refusals, usage errors.
set -euo pipefail
cli=$1 responder=$2
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

umask 077
printf '# test key\n3 %s\n' "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" > "$tmp/cluster.key"
"$responder" --key-file "$tmp/cluster.key" --node-id 9 > "$tmp/responder.out" &
pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/responder.out" && break; sleep 0.05; done
port=$(awk '/listening/ {print $3}' "$tmp/responder.out")
[[ -n $port ]] || fail "responder did not start"

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

# usage errors exit 2 with a message
set +e
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
