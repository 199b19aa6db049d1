-- Saves through the JSON API for tests/bench/galera.sh: PUT /api/1.0/data-connectors/{id}
-- with the connector's name, its category, a new description and the version last seen.
-- Run with wrk -tN -cN (one connection per thread), so that each connection keeps its own
-- state: connection k saves connector conns[k mod #conns + 1] (the caller writes the
-- `conns` table above this file: {id =, name =, cat =} each). The bearer token comes from
-- wrk -H. A connection reads the version first (GET), takes the next one from each 200,
-- reads it again after a 409 (stale: someone else saved it) and sends the same version
-- again after a 503 (nothing was kept). done() prints the answers by kind and status, and
-- put_sent: the PUTs written, of which those still unanswered when wrk stopped (cut off
-- mid-flight, applied or not) are put_sent minus the put_* answers.
local threads = {}
local made = 0

function setup(thread)
  local c = conns[(made % #conns) + 1]
  made = made + 1
  thread:set("cid", c.id)
  thread:set("cname", c.name)
  thread:set("ccat", c.cat)
  thread:set("tno", made)
  table.insert(threads, thread)
end

function init(args)
  ver = nil
  k = 0
  pending = nil
  st = { put_sent = 0, put_200 = 0, put_409 = 0, put_503 = 0, put_other = 0, get_200 = 0, get_other = 0 }
  path = "/api/1.0/data-connectors/" .. cid
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  if ver == nil then
    pending = "get"
    return wrk.format("GET", path, nil, nil)
  end
  k = k + 1
  pending = "put"
  st.put_sent = st.put_sent + 1
  local body = string.format('{"name": "%s", "description": "save %d of connection %d", "category_ids": [%d], "version": %d}',
    cname, k, tno, ccat, ver)
  return wrk.format("PUT", path, nil, body)
end

local function version_of(body)
  local v = body and body:match('"version"%s*:%s*(%d+)')
  return v and tonumber(v)
end

function response(status, headers, body)
  if pending == "get" then
    ver = status == 200 and version_of(body) or nil
    if ver then st.get_200 = st.get_200 + 1 else st.get_other = st.get_other + 1 end
  elseif status == 200 then
    st.put_200 = st.put_200 + 1
    ver = version_of(body)
  elseif status == 409 then
    st.put_409 = st.put_409 + 1
    ver = nil
  elseif status == 503 then
    st.put_503 = st.put_503 + 1
  else
    st.put_other = st.put_other + 1
    ver = nil
  end
end

function done(summary, latency, requests)
  local agg = {}
  for _, t in ipairs(threads) do
    for key, v in pairs(t:get("st")) do agg[key] = (agg[key] or 0) + v end
  end
  for key, v in pairs(agg) do io.write(string.format("%s %d\n", key, v)) end
  io.write(string.format("duration_us %d\n", summary.duration))
  io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
  io.write(string.format("p99_ms %.1f\n", latency:percentile(99) / 1000))
end
