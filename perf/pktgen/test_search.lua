-- SPDX-License-Identifier: BSD-3-Clause
-- The search logic of hayate_rfc2544.lua against a simulated pktgen: a
-- port of fixed line rate, a node that takes at most `cap` frames per
-- second, replies or a node-side counter read through a real shell
-- command.  Checks that the bisection lands within its resolution of the
-- node's capacity, that line rate passing ends at once, that nothing
-- passing is reported as such, and that bad settings are refused.  This
-- tests the script's arithmetic only: the calls into a real pktgen are
-- what the simulation assumes of its documented API.
--   lua5.4 test_search.lua DIR_OF_THE_SCRIPTS
-- Prints "N passed, N failed".

local dir = arg[1] or "."
if dir:sub(-1) ~= "/" then dir = dir .. "/" end

local LINE_PPS = 14880952     -- 64-byte frames at 10 Gb/s
local sim                     -- the simulated world, reset per case

local function reset(cap, reply_ratio)
	sim = { t_ms = 0, pct = 0, running = false, cap = cap, ratio = reply_ratio or 1,
		tx = 0, rx = 0, dut = 0, calls = {}, screen = {} }
	local f = assert(io.open(sim_file, "w"))
	f:write("rx_packets 0\n")
	f:close()
end

sim_file = os.tmpname()

-- pktgen's Lua functions, as the script uses them
pktgen = {
	set = function(port, what, value)
		assert(port == "0" and what == "rate", "unexpected set")
		sim.pct = tonumber(value)
		assert(sim.pct ~= nil, "rate is not a number: " .. tostring(value))
	end,
	clr = function() end,
	pcap = function(port, state) sim.calls[#sim.calls + 1] = "pcap " .. port .. " " .. state end,
	screen = function(state) sim.screen[#sim.screen + 1] = state end,
	start = function(port) sim.running = true end,
	stop = function(port) sim.running = false end,
	quit = function() sim.quit = true end,
	delay = function(ms)
		assert(math.type(ms) == "integer", "delay takes an integer")
		if sim.running then
			local offered = LINE_PPS * sim.pct / 100 * ms / 1000
			local taken = math.min(offered, sim.cap * ms / 1000)
			sim.tx = sim.tx + offered
			sim.dut = sim.dut + taken
			sim.rx = sim.rx + taken * sim.ratio
			local f = assert(io.open(sim_file, "w"))
			f:write(string.format("node 7\nrx_packets %d\n", math.floor(sim.dut)))
			f:close()
		end
		sim.t_ms = sim.t_ms + ms
	end,
	portStats = function(ports, kind)
		assert(ports == "0" and kind == "port")
		return { [0] = { opackets = math.floor(sim.tx), ipackets = math.floor(sim.rx),
				 oerrors = 0, imissed = 0 }, n = 1 }
	end,
}

local rfc = dofile(dir .. "hayate_rfc2544.lua")
local passed, failed = 0, 0

local function check(name, ok, detail)
	if ok then
		passed = passed + 1
		print("ok: " .. name)
	else
		failed = failed + 1
		print("FAIL: " .. name .. ": " .. tostring(detail))
	end
end

local base = { trial_s = 2, settle_ms = 100, results = "/dev/null", resolution_pct = 0.5,
	       warmup_s = 2, warmup_pct = 1 }
local function with(t)
	local s = {}
	for k, v in pairs(base) do s[k] = v end
	for k, v in pairs(t) do s[k] = v end
	return s
end

-- replies, ECHO-like: capacity 5 Mpps, a third of line rate
reset(5e6, 1)
local best = rfc.search(with({ label = "t1" }))
local cap_pct = 100 * 5e6 / LINE_PPS
check("replies: converges below the capacity", best ~= nil and best.pct <= cap_pct,
      best and best.pct)
check("replies: within the resolution", best ~= nil and cap_pct - best.pct <= 0.5,
      best and (cap_pct - best.pct))
check("replies: pps measured, not the knob",
      best ~= nil and math.abs(best.offered_pps - LINE_PPS * best.pct / 100) < 10,
      best and best.offered_pps)
check("pcap turned on, screen off then on",
      sim.calls[1] == "pcap 0 on" and sim.screen[1] == "off" and sim.screen[2] == "on",
      table.concat(sim.calls, ","))

-- BROADCAST in rooms of 4: four frames back per frame sent
reset(2e6, 4)
best = rfc.search(with({ label = "t2", reply_ratio = 4 }))
check("reply ratio 4", best ~= nil and best.offered_pps <= 2e6 and
      best.offered_pps >= 2e6 - LINE_PPS * 0.005, best and best.offered_pps)

-- garbage: loss counted on the node through a shell command
reset(9e6, 0)
best = rfc.search(with({ label = "t3", loss_from = "dut", dut_rx_cmd = "cat " .. sim_file }))
check("dut counter", best ~= nil and best.offered_pps <= 9e6 and
      best.offered_pps >= 9e6 - LINE_PPS * 0.005, best and best.offered_pps)

-- line rate passes: one trial (after the warm-up)
reset(20e6, 1)
best = rfc.search(with({ label = "t4" }))
check("line rate passes in one trial", best ~= nil and best.pct == 100 and
      sim.t_ms < 2 * (500 + 2000 + 100) + 10, best and sim.t_ms)

-- nothing passes
reset(0, 1)
best = rfc.search(with({ label = "t5", min_pct = 1 }))
check("nothing passes", best == nil, best and best.pct)

-- a loss threshold: 1% allowed passes a little above capacity
reset(5e6, 1)
best = rfc.search(with({ label = "t6", loss_pct = 1, resolution_pct = 0.05 }))
check("loss threshold", best ~= nil and best.offered_pps > 5e6 and
      best.offered_pps <= 5e6 / 0.99 + 1, best and best.offered_pps)

-- the warm-up runs first, at its own rate, and is not a trial
reset(5e6, 1)
local rates = {}
local set = pktgen.set
pktgen.set = function(port, what, value) rates[#rates + 1] = value; set(port, what, value) end
best = rfc.search(with({ label = "t7", warmup_pct = 2, max_trials = 1 }))
pktgen.set = set
check("warm-up first", rates[1] == "2.000" and rates[2] == "100.000" and #rates == 2,
      table.concat(rates, ","))
reset(5e6, 1)
rates = {}
pktgen.set = function(port, what, value) rates[#rates + 1] = value; set(port, what, value) end
rfc.search(with({ label = "t8", warmup_s = 0, max_trials = 1 }))
pktgen.set = set
check("no warm-up when 0", #rates == 1, table.concat(rates, ","))

-- settings refused
local ok = pcall(rfc.settings, { loss_from = "dut" })
check("dut without a command is refused", not ok)
ok = pcall(rfc.settings, { loss_from = "elsewhere" })
check("unknown loss_from is refused", not ok)
ok = pcall(rfc.settings, { min_pct = 50, max_pct = 10 })
check("min above max is refused", not ok)
ok = pcall(rfc.read_dut, { dut_rx_cmd = "echo nothing here" })
check("a command printing no number is refused", not ok)

os.remove(sim_file)
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
