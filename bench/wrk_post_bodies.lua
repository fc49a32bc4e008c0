-- wrk script: POST a different pre-made form body on every request, and count the statuses.
-- Environment: WRK_BODIES (file, one urlencoded body a line), WRK_PATH, WRK_COOKIE, WRK_THREADS.
-- Each body is used once (thread t takes lines t, t+T, t+2T...); if they run out the run wraps
-- around and reports it, since a repeated body is a duplicate submission that stores nothing.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("WRK_BODIES")) do
    bodies[#bodies + 1] = line
  end
  nbodies = #bodies
  step = tonumber(os.getenv("WRK_THREADS"))
  counter = tid - step
  sent = 0
  statuses = {}
  wrk.method = "POST"
  wrk.path = os.getenv("WRK_PATH")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("WRK_COOKIE")
end

function request()
  counter = counter + step
  sent = sent + 1
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  local sent_all, bodies_n = 0, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
    sent_all = sent_all + thread:get("sent")
    bodies_n = thread:get("nbodies")
  end
  local parts = {}
  for status, n in pairs(total) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
    '"sent": %d, "bodies": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, sent_all, bodies_n, table.concat(parts, ", ")))
end
