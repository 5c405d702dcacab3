-- wrk script: GET PATH_TEMPLATE with "{id}" replaced by a random integer in [1, MAX_ID];
-- counts responses whose status is not 200 (a redirect to the login page is a failure).
local template = os.getenv("PATH_TEMPLATE") or "/"
local max_id = tonumber(os.getenv("MAX_ID") or "1")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local path = template:gsub("{id}", tostring(math.random(1, max_id)))
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("bad") or 0)
  end
  io.write(string.format("non200 %d\n", total))
end
