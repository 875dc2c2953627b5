-- wrk's side of bench/autosave.py (bench/support/wrk.py runs it):
--   EXAM_WRK_OUT=OUT wrk -t T -c C -d S -s bench/support/autosave.lua URL -- MODE DATA SEQBASE THREADS
-- MODE clock: GET /exam-clock with each candidate's session cookie in turn (the ceiling).
-- MODE save: real saves, POST /attempts/<id>/answers, one answer each, as the exam page sends
--   them: the candidate's session cookie, CSRF token and the paper's option tokens. wrk's
--   request() cannot tell its connections apart, so each request takes the next candidate of
--   its thread in turn (as many candidates as connections). Sequence numbers start above
--   SEQBASE and grow per question; one request in ten re-sends an older answer (a late
--   retry, which must not win). At the end, OUT receives wrk's figures and, per question,
--   the highest sequence number the server acknowledged with the token sent under it.
-- DATA: one candidate a line: attempt <TAB> cookie <TAB> csrf <TAB> item=tok,tok;item=tok,…

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  seqbase = tonumber(args[3])
  local nthreads = tonumber(args[4])
  candidates, last, history, sent, acked = {}, {}, {}, {}, {}
  answered, refused, counter = 0, 0, 0
  math.randomseed(7 + thread_id)
  local index = 0
  for line in io.lines(args[2]) do
    if index % nthreads == thread_id then
      local attempt, cookie, csrf, items = line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t(.+)$")
      local candidate = {attempt = attempt, cookie = cookie, csrf = csrf, items = {}}
      for item, tokens in items:gmatch("(%d+)=([^;]+)") do
        local options = {}
        for token in tokens:gmatch("[^,]+") do table.insert(options, token) end
        table.insert(candidate.items, {id = tonumber(item), options = options})
      end
      table.insert(candidates, candidate)
    end
    index = index + 1
  end
end

function request()
  counter = counter + 1
  local candidate = candidates[(counter - 1) % #candidates + 1]
  if mode == "clock" then
    return wrk.format("GET", "/exam-clock", {["Cookie"] = candidate.cookie})
  end
  local item = candidate.items[math.random(#candidate.items)]
  local past = history[item.id]
  local seq, token
  if past and math.random() < 0.1 then
    local old = past[math.random(#past)]
    seq, token = old[1], old[2]
  else
    seq = (last[item.id] or seqbase) + 1
    last[item.id] = seq
    token = item.options[math.random(#item.options)]
    past = past or {}
    table.insert(past, {seq, token})
    history[item.id] = past
    sent[item.id .. ":" .. seq] = token
  end
  local body = string.format(
    '{"answers":[{"item":%d,"response":"%s","seq":%d}]}', item.id, token, seq)
  return wrk.format("POST", "/attempts/" .. candidate.attempt .. "/answers", {
    ["Cookie"] = candidate.cookie,
    ["X-CSRFToken"] = candidate.csrf,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    refused = refused + 1
    return
  end
  answered = answered + 1
  if mode == "save" then
    -- {"saved": [{"item": 12, "seq": 3}], …}: the stored sequence number, at least the one sent
    local saved = body:match('"saved":%s*%[(.-)%]')
    local item = tonumber(saved and saved:match('"item":%s*(%d+)'))
    local seq = tonumber(saved and saved:match('"seq":%s*(%d+)'))
    if item and seq and seq > (acked[item] or 0) then acked[item] = seq end
  end
end

function done(summary, latency, requests)
  -- done() runs in wrk's main Lua state, which init()'s arguments never reach.
  local file = assert(io.open(os.getenv("EXAM_WRK_OUT"), "w"))
  local errors = summary.errors
  local answered_all, refused_all = 0, 0
  for _, thread in ipairs(threads) do
    answered_all = answered_all + thread:get("answered")
    refused_all = refused_all + thread:get("refused")
  end
  file:write(string.format(
    "summary %d %d %d %d %d %d %d %d %d %d %d\n", summary.duration, answered_all, refused_all,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, summary.requests))
  -- A line per acknowledged question (A item seq token), and one per later save sent
  -- without an answer (S …: the server may have stored it after wrk stopped).
  for _, thread in ipairs(threads) do
    local sent_by_thread, acked_by_thread = thread:get("sent"), thread:get("acked")
    for item, seq in pairs(acked_by_thread) do
      file:write(string.format("A %d %d %s\n", item, seq, sent_by_thread[item .. ":" .. seq] or "?"))
    end
    for key, token in pairs(sent_by_thread) do
      local item, seq = key:match("^(%d+):(%d+)$")
      item, seq = tonumber(item), tonumber(seq)
      if seq > (acked_by_thread[item] or 0) then
        file:write(string.format("S %d %d %s\n", item, seq, token))
      end
    end
  end
  file:close()
end
