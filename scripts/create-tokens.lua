-- wrk script of the write-load tests (writeload.sh, pg-load.sh): each request creates an org
-- token through the API with an owner's session (COOKIE) as a same-origin browser request
-- (BASE), and the summary prints the errors and latency percentiles on two lines.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["Origin"] = os.getenv("BASE")
wrk.headers["Sec-Fetch-Site"] = "same-origin"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"name":"load ' .. n .. '"}')
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("ERRORS connect=%d read=%d write=%d status=%d timeout=%d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("LATENCY p50=%.1fms p99=%.1fms max=%.1fms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
