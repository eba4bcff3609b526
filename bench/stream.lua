-- wrk script of the memory run of make bench: streams tokens from a file
-- too large to hold in memory (1,000,000 lines), one request each, and
-- stops the thread after COUNT responses.
--
--   wrk -t1 ... -s bench/stream.lua URL -- FILE SKIP COUNT
--
-- SKIP lines are read past first, so two runs over one file send lines
-- 1..10,000 and then 10,001..1,000,000.  At most -c requests beyond COUNT
-- may already be in flight when the thread stops; wrk reports the exact
-- number it completed.
--
-- wrk's main thread sleeps for the whole -d even when the thread stops,
-- so the script then creates the file named by $BENCH_DONE: run.pl waits
-- for it and sends wrk SIGINT, which makes wrk print its summary at once.

local fh
local want, got = 0, 0
local done_file = os.getenv("BENCH_DONE")

function init(args)
   local file, skip = args[1], tonumber(args[2] or "0")
   want = tonumber(args[3] or "0")
   if file == nil or want <= 0 then
      error("stream.lua: usage: -- FILE SKIP COUNT")
   end
   fh = assert(io.open(file, "r"))
   for _ = 1, skip do
      assert(fh:read("*l"), "stream.lua: fewer than SKIP lines")
   end
end

function request()
   local tok = fh:read("*l")
   if tok == nil then                  -- past the end: start over
      fh:seek("set", 0)
      tok = fh:read("*l")
   end
   return wrk.format(nil, nil, { Authorization = "Bearer " .. tok })
end

function response(status, headers, body)
   got = got + 1
   if got == want then
      wrk.thread:stop()
      if done_file then
         local f = io.open(done_file, "w")
         if f then f:close() end
      end
   end
end
