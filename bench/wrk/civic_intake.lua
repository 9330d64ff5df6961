-- Open311 POSTs with a fresh idempotency key and a random pin per request (bench/civic_intake.py).
-- WRK_KEY is the API key; the pin falls in the lattice of WRK_SIDE × WRK_SIDE grid areas of
-- WRK_STEP degrees from (WRK_LAT0, WRK_LNG0).
dofile(debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") .. "report.lua")

function init(args)
  key = os.getenv("WRK_KEY")
  side = tonumber(os.getenv("WRK_SIDE"))
  lat0, lng0 = tonumber(os.getenv("WRK_LAT0")), tonumber(os.getenv("WRK_LNG0"))
  step = tonumber(os.getenv("WRK_STEP"))
  n = 0
  math.randomseed(tid * 7919)
end

function request()
  n = n + 1
  local lat = lat0 + math.random() * side * step
  local lng = lng0 + math.random() * side * step
  local body = "api_key=" .. key .. "&service_code=road&lat=" .. string.format("%.6f", lat)
    .. "&long=" .. string.format("%.6f", lng)
    .. "&description=%E8%B7%AF%E9%9D%A2%E5%A1%8C%E9%99%B7&idempotency_key=b" .. tid .. "-" .. n
    .. "-" .. os.time()
  return wrk.format("POST", nil,
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
