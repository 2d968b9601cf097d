-- SPDX-License-Identifier: BSD-3-Clause
-- Throughput of hayate-dataplane's garbage-drop path: the pcap of
--   gen_traffic garbage ...
-- loaded with pktgen -s 0:garbage.pcap.  The node answers none of it, so
-- loss is counted on the node: HY_DUT_RX_CMD must print the node's
-- received-frame count, e.g.
--   ssh root@dut hayate-dpstat --shm /hayate-stats rx_packets
-- (the last number printed is used), or, for any DPDK app on that port,
-- dpdk-telemetry.py's /ethdev/stats ipackets (docs/performance.md).
-- Run the same search with dpdk-testpmd --forward-mode=rxonly on the node's
-- port for the baseline.  Other settings: hayate_rfc2544.lua.
--   HY_DUT_RX_CMD='ssh root@dut hayate-dpstat rx_packets' \
--     pktgen ... -- -P -m "[1:2].0" -s 0:garbage.pcap -f perf/pktgen/search_garbage.lua
-- Written against pktgen 23.03's documented Lua API; not run here (no NIC).

-- hayate_rfc2544.lua is looked for in HY_PKTGEN_DIR, else next to this file.
local src = debug and debug.getinfo(1, "S").source or ""
local here = os.getenv("HY_PKTGEN_DIR") or src:match("^@(.*/)") or "./"
if here:sub(-1) ~= "/" then here = here .. "/" end
local rfc = dofile(here .. "hayate_rfc2544.lua")

rfc.search({ label = "garbage", loss_from = "dut" })
