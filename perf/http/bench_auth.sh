#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Load test of POST /v1/auth with wrk: requests per second a control plane's
# HTTP API answers with tickets.
#
#   perf/http/bench_auth.sh [options] [URL [APP_KEY]]
#
# URL and APP_KEY default to $HAYATE_HTTP_URL and $HAYATE_APP_KEY (what
# `scripts/devnet env` prints).  Options:
#   -d SECONDS     length of one round (default 5)
#   -r ROUNDS      rounds; the median is reported (default 5)
#   -c CONNS       open connections (default 32)
#   -t THREADS     wrk threads (default 1)
#   --server PATH  start PATH (build/perf/http/hayate-http-auth-server: the
#                  HTTP module in front of a test double) and measure it;
#                  it is pinned to CPU 0 and wrk to CPU 1 when taskset exists
#
# Prints one line per round, then
#   BENCH name=http_auth value=<median req/s> unit=req/s rounds=... ...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
duration=5 rounds=5 conns=32 threads=1 server=""
while (($#)); do
  case $1 in
    -d) duration=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    -c) conns=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    -h|--help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench_auth: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
url=${1:-${HAYATE_HTTP_URL:-}}
key=${2:-${HAYATE_APP_KEY:-}}

command -v wrk >/dev/null || { echo "bench_auth: wrk is not installed (scripts/setup)" >&2; exit 1; }
pin_server=() pin_wrk=()
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
  pin_server=(taskset -c 0) pin_wrk=(taskset -c 1)
fi

server_pid=""
tmp=$(mktemp -d)
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

if [[ -n $server ]]; then
  "${pin_server[@]}" "$server" >"$tmp/server.out" 2>"$tmp/server.err" &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q '^HAYATE_ADMIN_TOKEN=' "$tmp/server.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.err" >&2; exit 1; }
    sleep 0.05
  done
  url=$(sed -n 's/^HAYATE_HTTP_URL=//p' "$tmp/server.out")
  key=$(sed -n 's/^HAYATE_APP_KEY=//p' "$tmp/server.out")
fi
if [[ -z $url || -z $key ]]; then
  echo "bench_auth: give URL and APP_KEY (or set HAYATE_HTTP_URL, HAYATE_APP_KEY, or use --server)" >&2
  exit 2
fi

# One request first: a refusal here means a wrong URL or key, not load.
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d '{"uid":"bench-check"}' "$url/v1/auth" || true)
if [[ $status != 200 ]]; then
  echo "bench_auth: POST $url/v1/auth answered $status, expected 200" >&2
  exit 1
fi

rates=() lines=()
non2xx_total=0
for r in $(seq "$rounds"); do
  out=$(HAYATE_APP_KEY=$key "${pin_wrk[@]}" wrk -t "$threads" -c "$conns" -d "${duration}s" \
        -s "$here/auth.lua" "$url")
  rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  lat=$(sed -n 's/^LAT //p' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  errors=$(grep -o 'Socket errors:.*' <<<"$out" || true)
  non2xx_total=$((non2xx_total + ${non2xx:-0}))
  printf 'round %d: %s req/s %s%s\n' "$r" "$rate" "$lat" "${errors:+ ($errors)}"
  rates+=("$rate")
  lines+=("$rate $lat")
done

median=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
median_lat=$(printf '%s\n' "${lines[@]}" | awk -v m="$median" '$1 == m {print $2, $3; exit}')
min=$(printf '%s\n' "${rates[@]}" | sort -g | head -1)
max=$(printf '%s\n' "${rates[@]}" | sort -g | tail -1)
echo "BENCH name=http_auth value=$median unit=req/s rounds=$rounds duration_s=$duration" \
     "connections=$conns threads=$threads min=$min max=$max non2xx=$non2xx_total $median_lat"
