-- What every bench/wrk script reports, in one place: each thread counts the status codes of its
-- responses, and at the end one line "WRKJSON {...}" sums them up with wrk's totals and latency
-- percentiles (bench/common.py's run_wrk parses it). A script loads this file first with
--
--   dofile(debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") .. "report.lua")
--
-- (the folder of the script itself, so it works from any working directory) and then defines
-- init() and request(). The thread's number, from 1, is the global ``tid`` in init().
local threads = {}
local counter = 0
codes = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
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
