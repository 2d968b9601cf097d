# SPDX-License-Identifier: BSD-3-Clause
# Helpers the shell tests share (sourced): results and waiting.
#   fail MSG...        prints "FAIL: MSG" and makes the test's status 1
#   ok MSG...          prints "ok: MSG"
#   wait_for S CMD...  runs CMD every 0.1 s until it succeeds (0) or S
#                      seconds have passed (1)
#   perf_runs_left     the devnets and namespaces of perf/bench (bnNNNN) and
#                      perf/plot (plNNNN) runs that exist now, one a line
status=0
fail() { echo "FAIL: $*"; status=1; }
ok() { echo "ok: $*"; }

wait_for() {
  local t=$(($1 * 10))
  shift
  while ((t-- > 0)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

perf_runs_left() {
  { ls /run/hayate-devnet 2>/dev/null; ip netns list 2>/dev/null; } |
    grep -E '(^|hayate-)(bn|pl)[0-9]+' || true
}
