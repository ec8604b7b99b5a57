-- wrk script for bench_intake.py: POST pre-signed GHL deliveries, one line each in a file
-- ("<signature>\t<json body>"), in order, each exactly once per pass. Run with one thread (-t1).
local deliveries = {}
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    deliveries[#deliveries + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
  end
end

function request()
  index = index + 1
  if index > #deliveries then index = 1 end -- wrapped: later requests are duplicates
  local d = deliveries[index]
  return wrk.format("POST", "/webhooks/ghl",
    { ["Content-Type"] = "application/json", ["X-GHL-Signature"] = d[1] }, d[2])
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status,
    summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
