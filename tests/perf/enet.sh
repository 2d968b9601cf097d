#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The relay baselines behind perf/bench's enet_relay figures (perf/enet/run.sh): the ENet
# relay and the plain UDP relay on loopback, driven by enet_load, every scenario once and
# briefly.  Checks what makes their figures mean something: every scenario ran and its
# members received messages (enet_load fails a run that saw a message from outside a
# member's room, a malformed one or a disconnect), and each relay handed every message it
# received to each of the other K-1 members of its room.  No rate is asserted.
#   enet.sh SOURCE_DIR BUILD_DIR
set -Eeuo pipefail
src=$1 build=$2
# shellcheck source=tests/support/lib.sh
source "$src/tests/support/lib.sh"
[[ -x $build/perf/enet/enet_relay ]] || { echo "skipped: perf/enet not built (libenet-dev)"; exit 77; }
out=$(mktemp /tmp/hy-tenet.XXXXXX)
trap 'rm -f "$out"' EXIT

rc=0
"$src/perf/enet/run.sh" --build "$build" --all --reliable -r 1 -d 0.3 -w 0.1 -v >"$out" 2>&1 || rc=$?
if ((rc == 0)); then ok "run.sh: every scenario ran"; else fail "run.sh exited $rc"; cat "$out"; fi

# Scenarios in the order run.sh runs them, with their room sizes.
names=(enet_relay_1to1 enet_relay_1to8 udp_relay_1to1 udp_relay_1to8
  enet_relay_1to1_x4 enet_relay_1to8_x4 enet_relay_1to1_reliable enet_relay_1to8_reliable)
sizes=(2 9 2 9 2 9 2 9)
for name in "${names[@]}"; do
  v=$(sed -n "s/^BENCH name=$name value=\\([^ ]*\\) .*/\\1/p" "$out")
  if awk -v v="$v" 'BEGIN { exit !(v > 0) }'; then
    ok "$name: members received $v M messages/s"
  else
    fail "$name: no BENCH line with a value above 0 ('$v')"
  fi
done

# Each relay's own totals (run.sh -v prints them after each scenario, in order).
mapfile -t totals < <(sed -n 's/^[a-z_]*_relay: total received=\([0-9]*\) delivered=\([0-9]*\) .*/\1 \2/p' "$out")
if ((${#totals[@]} == ${#names[@]})); then
  for i in "${!names[@]}"; do
    read -r rx tx <<<"${totals[$i]}"
    k=${sizes[$i]}
    if ((rx > 0 && tx == rx * (k - 1))); then
      ok "${names[$i]}: the relay received $rx messages and delivered $tx, $((k - 1)) for each"
    else
      fail "${names[$i]}: the relay received $rx and delivered $tx, not $((k - 1)) times as many"
    fi
  done
else
  fail "${#totals[@]} relay summaries for ${#names[@]} scenarios"
  cat "$out"
fi
exit $status
