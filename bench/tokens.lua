-- wrk script of make bench: one request per token, cycling through a
-- token file in order.
--
--   wrk ... -s bench/tokens.lua http://127.0.0.1:PORT/hs/64b.txt -- FILE
--
-- FILE has one token per line, sent as "Authorization: Bearer"; a line
-- "token proof" is a DPoP request instead ("Authorization: DPoP token",
-- "DPoP: proof"): a proof is accepted once, so such a file must hold
-- more lines than the run sends.  Every request is formatted once, when the
-- thread starts (init), so request() costs the load generator the same
-- for one token as for 100,000: the baseline, a repeated token and a pool
-- of distinct tokens differ only in what nginx sees.  The baseline sends
-- the same header as the HS256 scenario, so request sizes match too.

local reqs = {}
local n, i = 0, 0

function init(args)
   local file = args[1]
   if file == nil then
      error("tokens.lua: usage: -- TOKEN_FILE")
   end
   for line in io.lines(file) do
      local token, proof = line:match("^(%S+) (%S+)$")
      if token then
         n = n + 1
         reqs[n] = wrk.format(nil, nil,
                              { Authorization = "DPoP " .. token,
                                DPoP = proof })
      elseif #line > 0 then
         n = n + 1
         reqs[n] = wrk.format(nil, nil,
                              { Authorization = "Bearer " .. line })
      end
   end
   if n == 0 then
      error("tokens.lua: no tokens in " .. file)
   end
end

function request()
   i = i + 1
   if i > n then
      i = 1
   end
   return reqs[i]
end
