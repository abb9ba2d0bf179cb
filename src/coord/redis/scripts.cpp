#include "coord/redis/scripts.hpp"

namespace boxoffice::redis_scripts {

// One show's seats: the rules of src/domain/seat_book.cpp, run atomically in Redis.
const char* seat() {
  return R"lua(-- One show's seats in Redis: the rules of src/domain/seat_book.cpp, run atomically.
-- Every key of a show carries its hash tag, so the whole show lives in one cluster slot:
--   KEYS[1] held   HASH  seat -> hold id            (seats in live or confirming holds)
--   KEYS[2] booked SET   seats the store has booked (the mirror)
--   KEYS[3] holds  HASH  hold id -> cjson {u,s,t,x,p,f,d} (user, seats, total, expires_ms,
--                        phase "l"ive/"c"onfirming, fence, deadline_ms)
--   KEYS[4] due    ZSET  hold id -> deadline_ms (expiry while live, confirm deadline after)
--   KEYS[5] users  HASH  user id -> seats held in live/confirming holds
--   KEYS[6] gone   HASH  hold id -> "user:phase" of ended holds, for 60 s
--   KEYS[7] gonez  ZSET  hold id -> ended_ms (to forget tombstones)
--   KEYS[8] meta   HASH  ver (seat version), fence, primed, freed (prime token)
-- ARGV[1] is the operation, ARGV[2] the shard channel that watchers subscribe to.
-- The time is Redis's (TIME), never an instance's. Scripts do not roll back: every check runs
-- before the first write.
local K_HELD, K_BOOKED, K_HOLDS, K_DUE, K_USERS, K_GONE, K_GONEZ, K_META =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local op, channel = ARGV[1], ARGV[2]
local TOMBSTONE_MS = 60000

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- The earliest deadline in K_DUE (-1: none), read once per call; every write to K_DUE clears it.
local first_due

local changes = {}
local function change(seat, status) changes[#changes + 1] = seat .. '=' .. status end

-- The meta fields, read once per call (each redis.call costs about as much as the Lua around
-- it) and kept in step with this call's own writes.
local meta
local function meta_get(field)
  if not meta then
    local m = redis.call('HMGET', K_META, 'ver', 'primed', 'reg', 'freed')
    meta = {ver = m[1], primed = m[2], reg = m[3], freed = m[4]}
  end
  return meta[field]
end
local function meta_set(field, value)
  redis.call('HSET', K_META, field, value)
  if meta then meta[field] = value end
end

-- Status letters of many seats in two calls per 1,000 seats (unpack() stops near 8,000).
local function statuses_of(seats)
  local out = {}
  for i = 1, #seats, 1000 do
    local chunk = {}
    for j = i, math.min(i + 999, #seats) do chunk[#chunk + 1] = seats[j] end
    local booked = redis.call('SMISMEMBER', K_BOOKED, unpack(chunk))
    local held = redis.call('HMGET', K_HELD, unpack(chunk))
    for k = 1, #chunk do
      out[#out + 1] = (booked[k] == 1 and 'b') or (held[k] and 'h') or 'a'
    end
  end
  return out
end

-- Ends a hold: frees its seats (unless used for a booking), keeps a tombstone.
local function end_hold(id, h, phase)
  local owners = redis.call('HMGET', K_HELD, unpack(h.s))
  local mine = {}
  for i, seat in ipairs(h.s) do
    if owners[i] == id then mine[#mine + 1] = seat end
  end
  if #mine > 0 then
    redis.call('HDEL', K_HELD, unpack(mine))
    if phase ~= 'used' then
      local booked = redis.call('SMISMEMBER', K_BOOKED, unpack(mine))
      for i, seat in ipairs(mine) do
        if booked[i] == 0 then change(seat, 'a') end
      end
    end
  end
  redis.call('ZREM', K_DUE, id)
  first_due = nil
  local left = redis.call('HINCRBY', K_USERS, h.u, -#h.s)
  if left <= 0 then redis.call('HDEL', K_USERS, h.u) end
  redis.call('HDEL', K_HOLDS, id)
  redis.call('HSET', K_GONE, id, h.u .. ':' .. phase)
  redis.call('ZADD', K_GONEZ, now, id)
end

local function next_deadline()
  if first_due == nil then
    local first = redis.call('ZRANGE', K_DUE, 0, 0, 'WITHSCORES')
    first_due = #first == 0 and -1 or tonumber(first[2])
  end
  return first_due
end

-- Tombstones older than TOMBSTONE_MS go at the start of every call: lookups never see one (a
-- release or confirm of a hold ended long ago is not found, as in src/domain/seat_book.cpp), and
-- any later call on the show frees the last ones.
local function forget_tombstones()
  local old = redis.call('ZRANGEBYSCORE', K_GONEZ, '-inf', now - TOMBSTONE_MS, 'LIMIT', 0, 256)
  if #old > 0 then
    redis.call('HDEL', K_GONE, unpack(old))
    redis.call('ZREM', K_GONEZ, unpack(old))
  end
end

-- Due expiries and abandoned confirmations end first, whoever asks: the answer never depends
-- on when a sweeper last ran. Bounded per call; the sweeper catches up with the rest.
local function reap()
  forget_tombstones()
  local first = next_deadline()
  if first < 0 or first > now then return end
  local due = redis.call('ZRANGEBYSCORE', K_DUE, '-inf', now, 'LIMIT', 0, 256)
  for _, id in ipairs(due) do
    local raw = redis.call('HGET', K_HOLDS, id)
    if raw then
      local h = cjson.decode(raw)
      end_hold(id, h, h.p == 'c' and 'released' or 'expired')
    else
      redis.call('ZREM', K_DUE, id)
    end
  end
  first_due = nil
end

-- A seat version that never repeats, even if Redis lost the counter (failover, restart): it
-- starts again from the clock in microseconds.
local function bump_version()
  local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local old = tonumber(meta_get('ver') or '0')
  if v <= old then v = old + 1 end
  meta_set('ver', v)
  return v
end

local function finish(result)
  if #changes > 0 then
    local v = bump_version()
    redis.call('SPUBLISH', channel, v .. ';' .. table.concat(changes, ','))
  end
  return result
end

-- Whether this show must be (re)entered in the due-shows index before a deadline at `deadline`
-- is added, and at which time: the index (another slot, written by the caller around the
-- second run of this script) must never be later than the earliest deadline of the show. No
-- need when an earlier-or-equal deadline is already pending (its entry is at least that
-- early), except that the entry is renewed every REGISTER_MS, so an index that lost writes (a
-- failover, an emptied Redis) heals by itself; a renewal names the earliest pending deadline,
-- not the new one. `registered`: the caller has just entered it. Returns nil or the time.
local REGISTER_MS = 10000
local function needs_register(deadline, registered, first)
  if registered then
    meta_set('reg', now)
    return nil
  end
  local reg = tonumber(meta_get('reg') or '0')
  if first >= 0 and first <= deadline and now - reg <= REGISTER_MS then return nil end
  if first >= 0 and first < deadline then return first end
  return deadline
end

local function seats_from(first)
  local seats = {}
  for i = first, #ARGV do seats[#seats + 1] = ARGV[i] end
  return seats
end

reap()

if op == 'hold' then
  -- ARGV: hold id, user, total cents, ttl ms, max seats per user (0: none), registered (1/0),
  -- seats... Answers 'unprimed' before anything else while the booked mirror is not loaded,
  -- and 'register' (with the expiry) when the caller must enter the show in the due-shows
  -- index first.
  local id, user, total, ttl, max = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
  local registered = ARGV[8] == '1'
  local seats = seats_from(9)
  if not meta_get('primed') then return finish({'unprimed'}) end
  local taken = {}
  for i, status in ipairs(statuses_of(seats)) do
    if status ~= 'a' then taken[#taken + 1] = seats[i] end
  end
  if #taken > 0 then return finish({'taken', unpack(taken)}) end
  local already = tonumber(redis.call('HGET', K_USERS, user) or '0')
  if max > 0 and already + #seats > max then return finish({'limit', already}) end
  if redis.call('HEXISTS', K_HOLDS, id) == 1 or redis.call('HEXISTS', K_GONE, id) == 1 then
    return finish({'collision'})
  end
  local expires = now + ttl
  local first = next_deadline()
  local register_at = needs_register(expires, registered, first)
  if register_at then return finish({'register', register_at}) end
  local fields = {}
  for _, seat in ipairs(seats) do
    fields[#fields + 1] = seat
    fields[#fields + 1] = id
    change(seat, 'h')
  end
  redis.call('HSET', K_HELD, unpack(fields))
  redis.call('HINCRBY', K_USERS, user, #seats)
  redis.call('HSET', K_HOLDS, id,
             cjson.encode({u = user, s = seats, t = total, x = expires, p = 'l', f = 0, d = expires}))
  redis.call('ZADD', K_DUE, expires, id)
  first_due = nil
  if first < 0 or expires < first then first = expires end
  return finish({'ok', expires, first})

elseif op == 'release' then
  local id, user = ARGV[3], ARGV[4]
  local raw = redis.call('HGET', K_HOLDS, id)
  if not raw then
    local tomb = redis.call('HGET', K_GONE, id)
    if tomb and string.match(tomb, '^([^:]*)') == user then return finish({'ok'}) end
    return finish({'notfound'})
  end
  local h = cjson.decode(raw)
  if h.u ~= user then return finish({'notfound'}) end
  if h.p == 'c' then return finish({'confirming'}) end
  end_hold(id, h, 'released')
  return finish({'ok'})

elseif op == 'begin' then
  -- ARGV: hold id, user, confirm deadline in ms from now, registered (1/0); 'register' as
  -- for a hold.
  local id, user, within = ARGV[3], ARGV[4], tonumber(ARGV[5])
  local registered = ARGV[6] == '1'
  local raw = redis.call('HGET', K_HOLDS, id)
  if not raw then
    local tomb = redis.call('HGET', K_GONE, id)
    if tomb then
      local owner, phase = string.match(tomb, '^([^:]*):(.*)$')
      if owner == user then return finish({'gone', phase}) end
    end
    return finish({'notfound'})
  end
  local h = cjson.decode(raw)
  if h.u ~= user then return finish({'notfound'}) end
  if h.p == 'c' then return finish({'confirming'}) end
  local register_at = needs_register(now + within, registered, next_deadline())
  if register_at then return finish({'register', register_at}) end
  local fence = redis.call('HINCRBY', K_META, 'fence', 1)
  h.p, h.f, h.d = 'c', fence, now + within
  redis.call('HSET', K_HOLDS, id, cjson.encode(h))
  redis.call('ZADD', K_DUE, h.d, id)
  first_due = nil
  return finish({'ok', fence, h.d, h.t, h.x, unpack(h.s)})

elseif op == 'finish' then
  -- ARGV: hold id, fence, outcome (booked|released|taken), number of hold seats, hold seats...,
  -- taken seats...
  local id, fence, outcome, n = ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
  local hold_seats, taken = {}, {}
  for i = 7, 6 + n do hold_seats[#hold_seats + 1] = ARGV[i] end
  for i = 7 + n, #ARGV do taken[#taken + 1] = ARGV[i] end
  local raw = redis.call('HGET', K_HOLDS, id)
  local h = raw and cjson.decode(raw)
  local current = h and h.p == 'c' and tonumber(h.f) == fence
  local function mark(seats)
    for _, seat in ipairs(seats) do
      if redis.call('SADD', K_BOOKED, seat) == 1 then change(seat, 'b') end
    end
  end
  if outcome == 'booked' then
    if current then end_hold(id, h, 'used') end
    mark(hold_seats)
  elseif outcome == 'taken' then
    -- The store's answer repairs the mirror before the other seats come free.
    mark(taken)
    if current then end_hold(id, h, 'released') end
  elseif current then
    end_hold(id, h, 'released')
  end
  return finish({'ok'})

elseif op == 'mark_booked' then
  for _, seat in ipairs(seats_from(3)) do
    if redis.call('SADD', K_BOOKED, seat) == 1 then change(seat, 'b') end
  end
  return finish({'ok'})

elseif op == 'mark_free' then
  local freed = 0
  for _, seat in ipairs(seats_from(3)) do
    if redis.call('SREM', K_BOOKED, seat) == 1 then
      freed = freed + 1
      change(seat, redis.call('HEXISTS', K_HELD, seat) == 1 and 'h' or 'a')
    end
  end
  -- A prime that read the store before this cancellation must not undo it.
  redis.call('HINCRBY', K_META, 'freed', 1)
  meta = nil
  return finish({'ok'})

elseif op == 'prime_token' then
  if meta_get('primed') then return finish({'primed'}) end
  return finish({'token', tonumber(meta_get('freed') or '0')})

elseif op == 'prime' then
  -- ARGV: token, booked seats... Loads the store's booked seats unless a seat was freed since
  -- the token was taken. Seats marked booked that the store does not have (a failover that
  -- lost a cancellation) are freed: the store is the truth.
  local token = tonumber(ARGV[3])
  if meta_get('primed') then return finish({'primed'}) end
  if tonumber(meta_get('freed') or '0') ~= token then return finish({'stale'}) end
  local truth = {}
  for _, seat in ipairs(seats_from(4)) do
    truth[seat] = true
    if redis.call('SADD', K_BOOKED, seat) == 1 then change(seat, 'b') end
  end
  for _, seat in ipairs(redis.call('SMEMBERS', K_BOOKED)) do
    if not truth[seat] then
      redis.call('SREM', K_BOOKED, seat)
      change(seat, redis.call('HEXISTS', K_HELD, seat) == 1 and 'h' or 'a')
    end
  end
  meta_set('primed', 1)
  return finish({'ok'})

elseif op == 'statuses' then
  -- {version, status letter per seat}; built in place (a 20,000-seat show exceeds unpack()).
  local out = statuses_of(seats_from(3))
  table.insert(out, 1, 0)
  finish(out)
  out[1] = tonumber(meta_get('ver') or '0')
  return out

elseif op == 'version' then
  local result = finish({0})
  result[1] = tonumber(meta_get('ver') or '0')
  return result

elseif op == 'hold_info' then
  -- ARGV: hold ids... -> for each: cjson record or false
  local out = {}
  for i, id in ipairs(seats_from(3)) do out[i] = redis.call('HGET', K_HOLDS, id) or false end
  return finish(out)

elseif op == 'reap' then
  return finish({next_deadline()})
end
return redis.error_reply('unknown operation ' .. tostring(op))
)lua";
}

// The index of shows with live holds (holds:due-shows, show -> earliest deadline), kept
// without races between instances: ARGV[1] "register" show deadline: lowers the score, or sets
// it when the entry is missing or already due (a sweeper may be about to drop it);
// "settle" show seen next: the sweeper's result for a score it read (`seen`): next < 0 removes
// the entry, else sets it, unless someone changed the score meanwhile (then the earlier wins).
const char* due_index() {
  return R"lua(
local key, op, show = KEYS[1], ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = redis.call('ZSCORE', key, show)
current = current and tonumber(current)
if op == 'register' then
  local deadline = tonumber(ARGV[3])
  if not current or deadline < current or current <= now then
    redis.call('ZADD', key, deadline, show)
  end
  return 1
end
local seen, nxt = tonumber(ARGV[3]), tonumber(ARGV[4])
if current == seen then
  if nxt < 0 then redis.call('ZREM', key, show) else redis.call('ZADD', key, nxt, show) end
elseif nxt >= 0 and (not current or nxt < current) then
  redis.call('ZADD', key, nxt, show)
end
return 1
)lua";
}

// Deletes a key only if it still holds the caller's token (an idempotency mark's owner).
const char* delete_if_owner() {
  return R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";
}

// A cache namespace generation that never repeats, even if Redis lost the key: it restarts from
// the clock in microseconds.
const char* bump_generation() {
  return R"lua(
local t = redis.call('TIME')
local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if v <= old then v = old + 1 end
redis.call('SET', KEYS[1], v)
return v
)lua";
}

}  // namespace boxoffice::redis_scripts
