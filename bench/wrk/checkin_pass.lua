-- POST check-ins as the check-in page's button does: the page's signed pass as a bearer token,
-- no cookies (ADR 0017). WRK_PASSES names a file of tab-separated lines "pass, station code";
-- each thread walks it from its own offset, so every request is a different worker and station
-- until the file wraps around.
dofile(debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") .. "report.lua")

function init(args)
  rows = {}
  for line in io.lines(os.getenv("WRK_PASSES")) do
    local token, code = line:match("([^\t]+)\t([^\t]+)")
    rows[#rows + 1] = { token, code }
  end
  i = math.floor((tid - 1) * #rows / 2) % #rows
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
