# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by perf/bench and perf/plot: which memory the DPDK processes of a
# run take.  Hugepages when the kernel can give them, as a deployment has
# (docs/operations.md, "Hugepages"); otherwise 4 KiB pages (--no-huge).  On
# a VM the difference is large: a table walked at random over 4 KiB pages
# misses the TLB at nearly every touch.  What the run reserved or mounted
# is given back by perf_memory_release, from the caller's cleanup.
#
#   perf_memory_choose MODE MB   MODE auto|hugepages|4k; sets PERF_MEMORY
#                                (hugepages or 4k); returns 1 when
#                                hugepages were demanded and not had
#   perf_eal_memory MB           EAL's options for MB of the chosen memory
#   perf_memory_release          undoes what perf_memory_choose changed

PERF_MEMORY=4k
perf_hp_prev='' perf_hp_mounted=''

perf_hp_free_mb() {
  awk '/^HugePages_Free:/ { f = $2 } /^Hugepagesize:/ { s = $2 }
       END { printf "%d", f * s / 1024 }' /proc/meminfo
}

# Makes MB of hugepages of the default size free: mounts hugetlbfs when
# none is mounted and raises vm.nr_hugepages by what is missing.
perf_hp_take() {
  local mb=$1 size total
  size=$(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)
  [[ -n $size && -w /proc/sys/vm/nr_hugepages ]] || return 1
  if ! grep -q ' hugetlbfs ' /proc/mounts; then
    mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages || return 1
    perf_hp_mounted=/dev/hugepages
  fi
  (($(perf_hp_free_mb) >= mb)) && return 0
  total=$(cat /proc/sys/vm/nr_hugepages)
  perf_hp_prev=$total
  echo $((total + (mb - $(perf_hp_free_mb)) * 1024 / size + 1)) >/proc/sys/vm/nr_hugepages
  # the kernel gives what it can find contiguous, maybe less
  (($(perf_hp_free_mb) >= mb))
}

perf_memory_choose() {
  local mode=$1 mb=$2
  case $mode in
    4k) PERF_MEMORY=4k ;;
    auto | hugepages)
      if perf_hp_take "$mb"; then
        PERF_MEMORY=hugepages
      elif [[ $mode == hugepages ]]; then
        echo "$mb MB of hugepages could not be had ($(perf_hp_free_mb) MB free)" >&2
        perf_memory_release
        return 1
      else
        perf_memory_release
        PERF_MEMORY=4k
      fi
      ;;
    *) echo "memory: auto, hugepages or 4k, got '$mode'" >&2; return 1 ;;
  esac
}

perf_eal_memory() {
  if [[ $PERF_MEMORY == hugepages ]]; then
    # unlinked once mapped: a killed process leaves no page reserved
    echo "--huge-unlink -m $1"
  else
    echo "--no-huge -m $1"
  fi
}

perf_memory_release() {
  if [[ -n $perf_hp_prev ]]; then
    echo "$perf_hp_prev" >/proc/sys/vm/nr_hugepages || true
    perf_hp_prev=''
  fi
  if [[ -n $perf_hp_mounted ]]; then
    umount "$perf_hp_mounted" 2>/dev/null || true
    perf_hp_mounted=''
  fi
}
