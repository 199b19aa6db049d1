-- Counts answers by status, 503s that carry Retry-After, and prints the latency percentiles
-- wrk measured; shared by the slow-upstream targets (the request is set by a second script
-- passed through the environment: method, body, headers).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  st = {}
  ra = 0
  wrk.method = os.getenv("BENCH_METHOD") or "GET"
  local body = os.getenv("BENCH_BODY")
  if body and body ~= "" then wrk.body = body end
  local ctype = os.getenv("BENCH_CTYPE")
  if ctype and ctype ~= "" then wrk.headers["Content-Type"] = ctype end
end
function response(status, headers, body)
  st[status] = (st[status] or 0) + 1
  if status == 503 and (headers["Retry-After"] or headers["retry-after"]) then ra = ra + 1 end
end
function done(summary, latency, requests)
  local agg, ra_total = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("st")) do agg[k] = (agg[k] or 0) + v end
    ra_total = ra_total + t:get("ra")
  end
  for k, v in pairs(agg) do io.write(string.format("status %d %d\n", k, v)) end
  io.write(string.format("retry_after %d\n", ra_total))
  io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
  io.write(string.format("p50_ms %.1f\np99_ms %.1f\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
