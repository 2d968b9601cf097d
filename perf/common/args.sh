# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by perf/bench and perf/plot: their command line.  Every value is
# checked before anything starts, so a bad one never leaves a half-made run
# (a node up, a table with holes).  Errors go to stderr as
# "PROG: what was wrong (see --help)" with exit status 2.
#
#   perf_help FILE              prints FILE's header comment (its --help)
#   perf_usage_error PROG TEXT  the error, then exit 2
#   perf_need_value PROG ARGS   exit 2 unless the option $1 of ARGS has a value
#   perf_check_common PROG ROUNDS SECONDS MEMORY
#                               --rounds 1..20, --seconds 1..60, --memory
#                               auto|hugepages|4k

perf_help() {
  awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$1"
}

perf_usage_error() {
  echo "$1: $2 (see --help)" >&2
  exit 2
}

perf_need_value() {
  local prog=$1
  shift
  (($# >= 2)) || perf_usage_error "$prog" "$1 needs a value"
}

perf_check_common() {
  local prog=$1 rounds=$2 seconds=$3 memory=$4
  [[ $rounds =~ ^[1-9][0-9]*$ ]] && ((rounds <= 20)) ||
    perf_usage_error "$prog" "--rounds wants a whole number 1..20, got '$rounds'"
  [[ $seconds =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v s="$seconds" 'BEGIN { exit !(s >= 1 && s <= 60) }' ||
    perf_usage_error "$prog" "--seconds wants a number 1..60, got '$seconds'"
  [[ $memory =~ ^(auto|hugepages|4k)$ ]] ||
    perf_usage_error "$prog" "--memory is auto, hugepages or 4k, got '$memory'"
}
