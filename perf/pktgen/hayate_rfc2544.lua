-- SPDX-License-Identifier: BSD-3-Clause
-- RFC 2544-style throughput search for Pktgen-DPDK 23.03, shared by
-- search_garbage.lua and search_valid.lua (docs/performance.md, "pktgen on
-- bare metal").  Written against pktgen's documented Lua API (pktgen.set,
-- .pcap, .clr, .start, .stop, .delay, .portStats, .screen, .quit); not run
-- on a real pktgen in this repository's CI, which has no NIC.
--
-- First an untimed warm-up pass (warmup_s at warmup_pct), then the trials.
-- One trial: set the rate, read the counters, send the loaded pcap for
-- trial_s seconds, stop, wait settle_ms for frames in flight, read the
-- counters again.  Loss is counted one of two ways:
--   "replies"  frames sent back to pktgen, against tx * reply_ratio (the
--              valid path: an ECHO is answered once, a BROADCAST in a bench
--              room of K once to the sender and K - 1 times as pushes);
--   "dut"      the node's own count of received frames, read before and
--              after by a shell command (dut_rx_cmd, run with io.popen; the
--              last number it prints is taken), against tx (the garbage
--              path, which answers nothing).
-- A trial passes when its loss is at most loss_pct percent.  The search is
-- a bisection on the rate (percent of line rate, as pktgen's "set rate"
-- takes it) between min_pct and max_pct, first trying max_pct, until the
-- passing and failing rates are resolution_pct apart or max_trials ran.
-- The answer is the highest passing trial, with the packet rates pktgen's
-- own counters measured (the percent is only the knob).
--
-- Settings come from a table, each overridable by an environment variable
-- (HY_ plus the name in capitals: HY_TRIAL_S=30 ...), because pktgen -f
-- passes no arguments to a script.

local M = {}

M.defaults = {
	label = "pktgen",        -- names the result lines
	port = "0",              -- pktgen port that sends the pcap
	rx_port = nil,           -- port the replies come back on (default: port)
	trial_s = 10,            -- seconds of traffic per trial
	settle_ms = 2000,        -- after stop: frames in flight land, counters settle
	loss_pct = 0.01,         -- a trial passes at this loss (percent) or less
	min_pct = 0.1,           -- search bounds, percent of line rate
	max_pct = 100,
	resolution_pct = 0.5,    -- stop when pass and fail are this close
	max_trials = 20,
	warmup_s = 2,            -- one untimed pass first (0: none): the node learns
	warmup_pct = 1,          -- every session's address before anything counts
	loss_from = "replies",   -- "replies" or "dut" (see above)
	reply_ratio = 1,         -- replies expected per frame sent ("replies")
	dut_rx_cmd = nil,        -- shell command printing the node's rx count ("dut")
	results = "hayate-pktgen-results.txt", -- every trial and result appended here
	quit = false,            -- pktgen.quit() at the end (unattended runs)
}

local function log(fmt, ...)
	local line = string.format(fmt, ...)
	print(line)
	return line
end

-- Settings: defaults, then the caller's table, then HY_* from the environment.
function M.settings(over)
	local s = {}
	for k, v in pairs(M.defaults) do s[k] = v end
	for k, v in pairs(over or {}) do s[k] = v end
	for k, v in pairs(M.defaults) do
		local env = os.getenv("HY_" .. string.upper(k))
		if env ~= nil and env ~= "" then
			if type(v) == "number" then
				local n = tonumber(env)
				if n == nil then
					error(string.format("HY_%s=%s: not a number", string.upper(k), env))
				end
				s[k] = n
			elseif type(v) == "boolean" then
				s[k] = env == "1" or env == "yes" or env == "true"
			else
				s[k] = env
			end
		end
	end
	-- keys whose default is nil are not in pairs()
	for _, k in ipairs({"rx_port", "dut_rx_cmd"}) do
		local env = os.getenv("HY_" .. string.upper(k))
		if env ~= nil and env ~= "" then s[k] = env end
	end
	s.rx_port = s.rx_port or s.port
	if s.loss_from ~= "replies" and s.loss_from ~= "dut" then
		error("loss_from (HY_LOSS_FROM) must be replies or dut, not " .. tostring(s.loss_from))
	end
	if s.loss_from == "dut" and (s.dut_rx_cmd == nil or s.dut_rx_cmd == "") then
		error("loss_from dut needs HY_DUT_RX_CMD: a shell command printing the node's " ..
		      "received-frame count, e.g. ssh root@dut hayate-dpstat --shm /hayate-stats rx_packets")
	end
	if not (s.min_pct > 0 and s.min_pct <= s.max_pct and s.max_pct <= 100) then
		error("need 0 < min_pct <= max_pct <= 100")
	end
	if s.trial_s <= 0 or s.reply_ratio <= 0 or s.loss_pct < 0 or s.warmup_s < 0 then
		error("trial_s and reply_ratio must be positive, loss_pct and warmup_s not negative")
	end
	if s.warmup_s > 0 and not (s.warmup_pct > 0 and s.warmup_pct <= 100) then
		error("need 0 < warmup_pct <= 100")
	end
	return s
end

-- The node's received-frame count: the last number the command prints.
function M.read_dut(s)
	if io.popen == nil then
		error("this Lua has no io.popen: use HY_LOSS_FROM=replies, or read the node's " ..
		      "counters by hand")
	end
	local p = io.popen(s.dut_rx_cmd, "r")
	local out = p:read("a") or ""
	p:close()
	local last
	for n in string.gmatch(out, "%d+") do last = n end
	if last == nil then
		error(string.format("HY_DUT_RX_CMD printed no number: %q", out))
	end
	return tonumber(last)
end

-- tx on the sending port, rx on the reply port (pktgen's cumulative
-- counters; a trial uses the difference, so a clear is not relied on).
local function counters(s)
	local ports = s.port == s.rx_port and s.port or (s.port .. "," .. s.rx_port)
	local st = pktgen.portStats(ports, "port")
	local tx = st[tonumber(s.port)]
	local rx = st[tonumber(s.rx_port)]
	return tx.opackets, rx.ipackets, tx.oerrors or 0, rx.imissed or 0
end

-- One trial at pct percent of line rate (to the 0.001 pktgen is given).
-- Returns a table of figures.
function M.trial(s, pct)
	local rate = string.format("%.3f", pct)
	pct = tonumber(rate)
	pktgen.stop(s.port)
	pktgen.set(s.port, "rate", rate)
	pktgen.clr()
	pktgen.delay(500)
	local tx0, rx0, oerr0, miss0 = counters(s)
	local dut0 = s.loss_from == "dut" and M.read_dut(s) or 0
	pktgen.start(s.port)
	pktgen.delay(math.floor(s.trial_s * 1000))
	pktgen.stop(s.port)
	pktgen.delay(math.floor(s.settle_ms))
	local tx1, rx1, oerr1, miss1 = counters(s)
	local dut1 = s.loss_from == "dut" and M.read_dut(s) or 0

	local t = { pct = pct, tx = tx1 - tx0, rx = rx1 - rx0, dut = dut1 - dut0,
		    tx_errors = oerr1 - oerr0, rx_missed = miss1 - miss0 }
	local want, got
	if s.loss_from == "dut" then
		want, got = t.tx, t.dut
	else
		want, got = t.tx * s.reply_ratio, t.rx
	end
	t.lost = want - got
	if t.tx == 0 then
		t.loss_pct = 100 -- nothing went out: no figure to trust
	elseif t.lost <= 0 then
		t.loss_pct = 0 -- more back than expected: extra frames (ARP...), counted as no loss
	else
		t.loss_pct = 100.0 * t.lost / want
	end
	t.offered_pps = t.tx / s.trial_s
	t.delivered_pps = got / s.trial_s
	t.pass = t.tx > 0 and t.loss_pct <= s.loss_pct
	return t
end

local function record(s, line)
	local f = io.open(s.results, "a")
	if f ~= nil then
		f:write(line, "\n")
		f:close()
	end
end

-- The search.  Returns the best passing trial, or nil when none passed.
function M.search(over)
	local s = M.settings(over)
	pktgen.screen("off")
	pktgen.pcap(s.port, "on")
	record(s, log("SEARCH label=%s port=%s rx_port=%s loss_from=%s reply_ratio=%s trial_s=%s " ..
		      "loss_pct=%s range=%s..%s%% resolution=%s%%", s.label, s.port, s.rx_port,
		      s.loss_from, tostring(s.reply_ratio), tostring(s.trial_s),
		      tostring(s.loss_pct), tostring(s.min_pct), tostring(s.max_pct),
		      tostring(s.resolution_pct)))
	-- A BROADCAST's pushes to members the node has not heard from yet
	-- cannot go anywhere: the first pass of a valid pcap would count
	-- them as lost.  Make sure warmup_s x warmup_pct covers one pass.
	if s.warmup_s > 0 then
		local ws = {}
		for k, v in pairs(s) do ws[k] = v end
		ws.trial_s, ws.loss_from = s.warmup_s, "replies" -- no node-side reads
		local w = M.trial(ws, s.warmup_pct)
		record(s, log("WARMUP %s rate_pct=%.3f tx=%d back=%d (not counted)", s.label,
			      w.pct, w.tx, w.rx))
	end
	local lo, hi, best = 0, s.max_pct, nil
	local pct, n = s.max_pct, 0
	while n < s.max_trials do
		n = n + 1
		local t = M.trial(s, pct)
		pct = t.pct
		record(s, log("TRIAL %s n=%d rate_pct=%.3f tx=%d back=%d lost=%.0f loss_pct=%.4f " ..
			      "offered_pps=%.0f delivered_pps=%.0f tx_errors=%d rx_missed=%d %s",
			      s.label, n, pct, t.tx, s.loss_from == "dut" and t.dut or t.rx, t.lost,
			      t.loss_pct, t.offered_pps, t.delivered_pps, t.tx_errors, t.rx_missed,
			      t.pass and "PASS" or "FAIL"))
		if t.pass then
			lo = pct
			if best == nil or pct > best.pct then best = t end
		else
			hi = pct
		end
		if hi - lo <= s.resolution_pct then break end
		if pct == s.max_pct and t.pass then break end -- line rate passes
		local nxt = (lo + hi) / 2
		if nxt < s.min_pct then
			if pct <= s.min_pct then break end -- the floor failed too
			nxt = s.min_pct
		end
		pct = nxt
	end
	if best ~= nil then
		record(s, log("RESULT %s rate_pct=%.3f offered_pps=%.0f delivered_pps=%.0f " ..
			      "loss_pct=%.4f trials=%d", s.label, best.pct, best.offered_pps,
			      best.delivered_pps, best.loss_pct, n))
		record(s, log("BENCH name=pktgen_%s value=%.0f unit=pps rate_pct=%.3f trial_s=%s " ..
			      "loss_pct_max=%s", s.label, best.offered_pps, best.pct,
			      tostring(s.trial_s), tostring(s.loss_pct)))
	else
		record(s, log("RESULT %s none: even %.3f%% of line rate lost more than %s%% " ..
			      "(trials=%d)", s.label, s.min_pct, tostring(s.loss_pct), n))
	end
	pktgen.screen("on")
	if s.quit then pktgen.quit() end
	return best
end

return M
