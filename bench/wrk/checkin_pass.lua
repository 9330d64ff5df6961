-- POST check-ins as the check-in page's button does: the page's signed pass as a bearer token,
-- no cookies (ADR 0017). WRK_PASSES names a file of tab-separated lines "pass, station code";
-- each thread walks it from its own offset, so every request is a different worker and station
-- until the file wraps around.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  rows = {}
  for line in io.lines(os.getenv("WRK_PASSES")) do
    local token, code = line:match("([^\t]+)\t([^\t]+)")
    rows[#rows + 1] = { token, code }
  end
  i = math.floor((tid - 1) * #rows / 2) % #rows
  codes = {}
end

function request()
  i = i % #rows + 1
  local r = rows[i]
  local headers = {
    ["Authorization"] = "Bearer " .. r[1],
    ["Accept"] = "application/json",
    ["Content-Length"] = "0",
  }
  return wrk.format("POST", "/api/v1/stations/" .. r[2] .. "/checkins", headers, "")
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("codes")) do
      total[code] = (total[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(total) do
    parts[#parts + 1] = string.format('"%d":%d', code, n)
  end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,"lat_p50_us":%d,"lat_p90_us":%d,'
      .. '"lat_p99_us":%d,"lat_max_us":%d,"lat_mean_us":%.1f,"codes":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, table.concat(parts, ",")))
end
