-- wrk script for bench/loadgen.py.
-- Arguments after "--": expected status, method, path of a file holding the request body, and
-- optionally the path prefix of prepared requests, one file per wrk thread ("<prefix>.<n>", one
-- request per line: path TAB Cookie header TAB body).
-- Counts responses whose status differs from the expected one (a redirect to the log-in page
-- included) and prints one JSON line with the totals and latency percentiles in microseconds.
--
-- With prepared requests every request is the next line of the thread's file, never one twice,
-- and an answer is as expected only with the expected status and a Location equal to the path of
-- a request this thread sent and has had no answer to yet (the quiz: 302 to the attempt itself).
-- Each thread reports how many lines it sent, how many got an answer, and the paths answered as
-- expected, for bench/quiz.py to check against the database.
-- Without them the request is wrk's own, built once (no request() function, so no Lua per request).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local function prepared_request()
  if dry_run then
    -- wrk calls request() once on the first thread before it starts, to count pipelined
    -- requests; that one is never sent, so it takes no line.
    dry_run = false
    local line = lines[1]
    return wrk.format(nil, line[1], headers_for(line[2]), line[3])
  end
  if sent >= #lines then
    -- Out of prepared requests: a request the server answers without grading anything,
    -- counted apart; bench/run.py fails the run and asks for a larger pool.
    exhausted = exhausted + 1
    return wrk.format("GET", "/healthz/", base_headers)
  end
  sent = sent + 1
  local line = lines[sent]
  pending[line[1]] = true
  return wrk.format(nil, line[1], headers_for(line[2]), line[3])
end

function headers_for(cookie)
  local headers = {}
  for name, value in pairs(base_headers) do headers[name] = value end
  headers["Cookie"] = cookie
  return headers
end

function init(args)
  expected = tonumber(args[1] or "200")
  unexpected = 0
  if args[2] and args[2] ~= "" then wrk.method = args[2] end
  if args[3] and args[3] ~= "" then
    local file = assert(io.open(args[3], "rb"))
    wrk.body = file:read("*a")
    file:close()
  end
  if args[4] and args[4] ~= "" then
    lines = {}
    for line in io.lines(args[4] .. "." .. id) do
      local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(lines, {path, cookie, body})
    end
    base_headers = {}
    for name, value in pairs(wrk.headers) do base_headers[name] = value end
    sent, ok, answered, exhausted, answered_exhausted = 0, 0, 0, 0, 0
    pending = {}
    ok_paths = {}
    samples = {}
    dry_run = id == 1
    request = prepared_request
  end
end

function response(status, headers, body)
  if not lines then
    if status ~= expected then unexpected = unexpected + 1 end
    return
  end
  local location = headers["Location"]
  if exhausted > answered_exhausted and status == 200 and not location then
    answered_exhausted = answered_exhausted + 1  -- a /healthz/ sent for want of lines
    return
  end
  answered = answered + 1
  if status == expected and location and pending[location] then
    pending[location] = nil
    ok = ok + 1
    ok_paths[ok] = location
  elseif location and pending[location] then
    -- Answered, but not as expected (a redirect elsewhere carries another Location).
    pending[location] = nil
    unexpected = unexpected + 1
    if #samples < 5 then table.insert(samples, status .. " " .. location) end
  else
    unexpected = unexpected + 1
    if #samples < 5 then table.insert(samples, status .. " " .. tostring(location)) end
  end
end

local function json_strings(list)
  local quoted = {}
  for _, value in ipairs(list) do
    table.insert(quoted, '"' .. value:gsub('[%c"\\]', "?") .. '"')
  end
  return "[" .. table.concat(quoted, ", ") .. "]"
end

function done(summary, latency, requests)
  local bad = 0
  local pool = {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    if thread:get("sent") then
      table.insert(pool, string.format(
        '{"sent": %d, "answered": %d, "exhausted": %d, "ok_paths": %s, "samples": %s}',
        thread:get("sent"), thread:get("answered"), thread:get("exhausted"),
        json_strings(thread:get("ok_paths")), json_strings(thread:get("samples"))))
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "unexpected_status": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "pool": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, bad,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, table.concat(pool, ", ")))
end
