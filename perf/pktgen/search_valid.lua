-- SPDX-License-Identifier: BSD-3-Clause
-- Throughput of hayate-dataplane on valid traffic: the pcap of
--   gen_traffic valid ...   (sealed ECHO or BROADCAST of bench sessions)
-- loaded on the sending port with pktgen -s 0:valid.pcap, the node in bench
-- mode.  Loss is what does not come back (HY_LOSS_FROM=replies, default):
-- set HY_REPLY_RATIO to the frames the node sends per frame received, 1
-- for ECHO, the room size K for BROADCAST in bench rooms of K (one answer,
-- K - 1 pushes).  HY_LOSS_FROM=dut with HY_DUT_RX_CMD counts instead what
-- the node received.  Other settings: hayate_rfc2544.lua (HY_TRIAL_S,
-- HY_LOSS_PCT, HY_MIN_PCT, HY_MAX_PCT, HY_RESOLUTION_PCT, HY_SETTLE_MS,
-- HY_PORT, HY_RX_PORT, HY_RESULTS, HY_QUIT, HY_LABEL).
--   HY_REPLY_RATIO=1 pktgen ... -- -P -m "[1:2].0" -s 0:valid.pcap \
--       -f perf/pktgen/search_valid.lua
-- Written against pktgen 23.03's documented Lua API; not run here (no NIC).

-- hayate_rfc2544.lua is looked for in HY_PKTGEN_DIR, else next to this file.
local src = debug and debug.getinfo(1, "S").source or ""
local here = os.getenv("HY_PKTGEN_DIR") or src:match("^@(.*/)") or "./"
if here:sub(-1) ~= "/" then here = here .. "/" end
local rfc = dofile(here .. "hayate_rfc2544.lua")

rfc.search({ label = "valid", loss_from = "replies", reply_ratio = 1 })
