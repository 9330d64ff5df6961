-- GET a random path from the file named by WRK_PATHS (one path per line), e.g. nearby queries
-- at random points rounded to 2 decimals. Counts status codes and prints a JSON summary line.
dofile(debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") .. "report.lua")

function init(args)
  paths = {}
  for line in io.lines(os.getenv("WRK_PATHS")) do
    paths[#paths + 1] = line
  end
  math.randomseed(tid * 7919 + os.time())
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
