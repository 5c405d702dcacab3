-- CTI load for wrk: a realistic mix of Zammad events, one third each of newCall, answer and
-- hangup, every call with a unique callId. The answer of call n is sent 300 calls after its
-- newCall, the hangup 600 calls after: with 64 connections the newCall has been acknowledged
-- long before (a request is only issued when one of the 64 in flight has returned).
-- Env: CTI_TOKEN, RUN_ID (prefix of the callIds), AGENT (name in `user`), EXT (answeringNumber).
local token = os.getenv("CTI_TOKEN")
local run_id = os.getenv("RUN_ID") or "r"
local agent = os.getenv("AGENT") or "Blanca Herrera Solís"
local ext = os.getenv("EXT") or "101"
local path = "/api/v1/cti/" .. token
local threads = {}
local n_threads = 0

function setup(thread)
  n_threads = n_threads + 1
  thread:set("tid", n_threads)
  table.insert(threads, thread)
end

local counter = 0
local base = '"from":"+52 55 5341 2201","to":"+52 55 5000 1000","direction":"in"'

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local function call_id(n)
  return run_id .. "-" .. tid .. "-" .. n
end

function request()
  counter = counter + 1
  local phase = counter % 3
  local n = math.floor(counter / 3)
  local body
  if phase == 1 and n > 300 then
    body = '{"event":"answer","callId":"' .. call_id(n - 300) .. '",' .. base ..
      ',"user":"' .. agent .. '","answeringNumber":"' .. ext .. '"}'
  elseif phase == 2 and n > 600 then
    body = '{"event":"hangup","callId":"' .. call_id(n - 600) .. '",' .. base ..
      ',"cause":"normalClearing","initiator":"caller"}'
  elseif phase == 0 then
    body = '{"event":"newCall","callId":"' .. call_id(n) .. '",' .. base ..
      ',"user":["' .. agent .. '"],"queue":"soporte"}'
  else
    -- warm-up of the pipeline: extra newCalls with their own ids
    body = '{"event":"newCall","callId":"' .. call_id("w" .. counter) .. '",' .. base ..
      ',"user":["' .. agent .. '"],"queue":"soporte"}'
  end
  return wrk.format(nil, path, nil, body)
end

-- Status counts per thread, printed at the end (which non-2xx, if any).
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and not first_error then
    first_error = body
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, count in pairs(s) do
      io.write(string.format("status %d: %d\n", code, count))
    end
    local e = thread:get("first_error")
    if e then io.write("first error: " .. e .. "\n") end
  end
end
