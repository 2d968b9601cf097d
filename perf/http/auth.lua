-- SPDX-License-Identifier: BSD-3-Clause
-- wrk script: POST /v1/auth with the app key from HAYATE_APP_KEY, cycling
-- through 1000 user ids (requests built once, so wrk's own cost stays low).
local key = os.getenv("HAYATE_APP_KEY") or ""
local requests = {}
local n = 0

function init(args)
  local headers = {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }
  for i = 1, 1000 do
    local body = string.format('{"uid":"bench-%d","transport":"udp"}', i)
    requests[i] = wrk.format("POST", "/v1/auth", headers, body)
  end
end

function request()
  n = n % 1000 + 1
  return requests[n]
end

function done(summary, latency, requests_)
  io.write(string.format("LAT p50_ms=%.3f p99_ms=%.3f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
