#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# perf/bench and perf/plot check their whole command line before they start
# anything: a bad value is refused with exit status 2 and a message naming
# the option, and no node or namespace is set up for it.
#   args.sh SOURCE_DIR
set -Eeuo pipefail
src=$1
# shellcheck source=tests/support/lib.sh
source "$src/tests/support/lib.sh"

# what a run would have set up: its devnet (named bnNNNN or plNNNN) and namespaces
state() {
  { ls /run/hayate-devnet 2>/dev/null; ip netns list 2>/dev/null; } | grep -E '(^|hayate-)(bn|pl)[0-9]+' || true
}
before=$(state)
# refused PROG EXPECTED-TEXT ARGS...
refused() {
  local prog=$1 want=$2 rc=0 err
  shift 2
  err=$("$src/perf/$prog" "$@" 2>&1 >/dev/null) || rc=$?
  if ((rc == 2)) && [[ $err == *"$want"* ]]; then
    ok "$prog $*: refused ($err)"
  else
    fail "$prog $*: exit $rc, '$err' (wanted 2 and '$want')"
  fi
}
for prog in bench plot; do
  refused "$prog" "--rounds wants a whole number 1..20, got '0'" --rounds 0
  refused "$prog" "--rounds wants a whole number 1..20, got '08'" --rounds 08
  refused "$prog" "--rounds wants a whole number 1..20, got '21'" --rounds 21
  refused "$prog" "--seconds wants a number 1..60, got 'x'" --seconds x
  refused "$prog" "--seconds wants a number 1..60, got '0.5'" --seconds 0.5
  refused "$prog" "--memory is auto, hugepages or 4k, got '2m'" --memory 2m
  refused "$prog" "--build needs a value" --build
  refused "$prog" "unknown option '--bogus'" --bogus
done
refused bench "--only: no scenario 'relay'" --only relay
refused bench "--only: no scenario 'nope'" --only relay_1to1,nope
refused plot "--out needs a value" --out
for prog in bench plot; do
  if "$src/perf/$prog" --help | grep -q -- '--rounds N'; then
    ok "$prog --help lists its options"
  else
    fail "$prog --help does not list --rounds"
  fi
done
[[ $(state) == "$before" ]] && ok "nothing was started" || fail "state changed: $(state)"
exit $status
