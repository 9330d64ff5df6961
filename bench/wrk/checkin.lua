-- POST check-ins as logged-in workers. WRK_SESSIONS names a file of tab-separated lines
-- "session cookie value, CSRF token, station code"; each thread walks it from its own offset,
-- in order, so every request is a different worker and station until the file wraps around.
-- WRK_ORIGIN is the site's origin (for Django's Origin/Referer checks).
dofile(debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") .. "report.lua")

function init(args)
  rows = {}
  for line in io.lines(os.getenv("WRK_SESSIONS")) do
    local session, csrf, code = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)")
    rows[#rows + 1] = { session, csrf, code }
  end
  origin = os.getenv("WRK_ORIGIN")
  -- Threads start far apart in the file (half-way for the second of two threads).
  i = math.floor((tid - 1) * #rows / 2) % #rows
end

function request()
  i = i % #rows + 1
  local r = rows[i]
  local headers = {
    ["Cookie"] = "warmbee_session=" .. r[1] .. "; warmbee_csrf=" .. r[2],
    ["X-CSRFToken"] = r[2],
    ["Origin"] = origin,
    ["Referer"] = origin .. "/stations/" .. r[3] .. "/",
    ["Content-Length"] = "0",
  }
  return wrk.format("POST", "/api/v1/stations/" .. r[3] .. "/checkins", headers, "")
end
