# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by perf/bench and perf/plot: figures both take the same way.
#
#   perf_median               the median of the numbers on stdin, one a line
#                             (0 when there are none: a run that failed)
#   perf_no_ports BUILD K     the relay of rooms of K without ports, link or
#                             network layers (BUILD/perf/rooms/bench_relay on
#                             CPU 1: 1:1 QUIET broadcasts for K = 2, else
#                             1->K-1 answered ones), in Mpushes/s; the caller
#                             pauses the node on that CPU meanwhile

perf_median() {
  sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

perf_no_ports() {
  local case=(--only relay_1to1_quiet)
  (($2 > 2)) && case=(--fanout $(($2 - 1)) --only relay_1to$(($2 - 1)))
  taskset -c 1 "$1/perf/rooms/bench_relay" --cpu 1 --rounds 5 "${case[@]}" 2>/dev/null |
    sed -n 's/^BENCH name=relay_.* value=\([^ ]*\).*/\1/p'
}
