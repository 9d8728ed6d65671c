-- xborder: one transfer's atomic check-and-add across all its counters (agent/count/store/redis.ts).
-- Every key shares the hash tag {<prefix>:<year>}, so this runs on one Cluster node.
--
-- KEYS: 1 meta hash (field keyfp), 2 set of counter names, 3 set of sketch names,
--       then per entry: its exact set, its sketch, its daily hash (China day → persons added);
--       then one sketch per union.
-- ARGV: 1 key fingerprint, 2 expectCounted '1'|'0', 3 mode 'add'|'fill'|'peek' ('fill': add
--       without pinning a year that has no pin: `counts rebuild`), 4 entries, 5 unions,
--       6 packed register updates for the unions (all persons of the transfer), 7 the China day
--       ('' when the caller keeps no daily series),
--       then per entry: counter name, members (16-byte keys, concatenated, distinct),
--       packed register updates of its members, blocked ranges "min:max;min:" ('' max = none),
--       then per union: its sketch name.
-- Returns {'OK', admitted 1|0, before1, added1, before2, added2, ...}, {'LOST'} or
-- {'MISMATCH', stored fingerprint}.

local fp, expectCounted, peek = ARGV[1], ARGV[2] == '1', ARGV[3] == 'peek'
local nEntries, nUnions = tonumber(ARGV[4]), tonumber(ARGV[5])
local CHUNK = 4000 -- unpack() is bounded by Lua's C stack (8000)

local pinned = redis.call('HGET', KEYS[1], 'keyfp')
if not peek then
  if not pinned and expectCounted then return {'LOST'} end
  if pinned and pinned ~= fp then return {'MISMATCH', pinned} end
end

local function split(packed)
  local out = {}
  for i = 1, #packed, 16 do out[#out + 1] = string.sub(packed, i, i + 15) end
  return out
end

local function ranges(spec)
  local out = {}
  for min, max in string.gmatch(spec, '(%d+):(%d*)') do out[#out + 1] = {tonumber(min), tonumber(max)} end
  return out
end

-- count/ranges.ts `reaches`, the same predicate decide uses.
local function reachesAny(rs, before, after)
  for _, r in ipairs(rs) do
    if r[1] <= after and (r[2] == nil or before < r[2]) then return true end
  end
  return false
end

local function fresh(set, members)
  local out = {}
  for i = 1, #members, CHUNK do
    local chunk = {unpack(members, i, math.min(i + CHUNK - 1, #members))}
    local flags = redis.call('SMISMEMBER', set, unpack(chunk))
    for j = 1, #flags do
      if flags[j] == 0 then out[#out + 1] = chunk[j] end
    end
  end
  return out
end

local function sadd(set, members)
  local added = 0
  for i = 1, #members, CHUNK do
    added = added + redis.call('SADD', set, unpack(members, i, math.min(i + CHUNK - 1, #members)))
  end
  return added
end

-- Max-merge packed (uint16 BE index, uint8 rank) updates into a 16384-byte register string: one
-- BITFIELD reads a chunk's registers, one more writes those that grow (a missing key reads 0s).
-- Past 4096 updates, rewriting the whole string is cheaper.
local MERGE_CHUNK = 1500 -- a SET is 4 arguments: 6,000 stays under unpack()'s bound
local function mergeSketch(key, updates)
  local n = #updates / 3
  if n == 0 then return end
  if n <= 4096 then
    for first = 1, #updates, 3 * MERGE_CHUNK do
      local last = math.min(first + 3 * MERGE_CHUNK - 1, #updates)
      local get, index, rank = {}, {}, {}
      for i = first, last, 3 do
        local at = '#' .. (string.byte(updates, i) * 256 + string.byte(updates, i + 1))
        index[#index + 1] = at
        rank[#rank + 1] = string.byte(updates, i + 2)
        get[#get + 1] = 'GET'; get[#get + 1] = 'u8'; get[#get + 1] = at
      end
      local current = redis.call('BITFIELD', key, unpack(get))
      local set = {}
      for k = 1, #index do
        if current[k] < rank[k] then
          set[#set + 1] = 'SET'; set[#set + 1] = 'u8'; set[#set + 1] = index[k]; set[#set + 1] = rank[k]
        end
      end
      if #set > 0 then redis.call('BITFIELD', key, unpack(set)) end
    end
    return
  end
  local cur = redis.call('GET', key) or ''
  local regs = {}
  for i = 1, 16384 do regs[i] = string.byte(cur, i) or 0 end
  for i = 1, #updates, 3 do
    local index = string.byte(updates, i) * 256 + string.byte(updates, i + 1) + 1
    local rank = string.byte(updates, i + 2)
    if regs[index] < rank then regs[index] = rank end
  end
  local parts = {}
  for i = 1, 16384, CHUNK do parts[#parts + 1] = string.char(unpack(regs, i, math.min(i + CHUNK - 1, 16384))) end
  redis.call('SET', key, table.concat(parts))
end

local entries = {}
local admitted = true
for e = 1, nEntries do
  local a = 8 + (e - 1) * 4
  local entry = {
    name = ARGV[a], members = split(ARGV[a + 1]), updates = ARGV[a + 2], blocked = ranges(ARGV[a + 3]),
    set = KEYS[4 + (e - 1) * 3], sketch = KEYS[5 + (e - 1) * 3], daily = KEYS[6 + (e - 1) * 3],
  }
  entry.before = redis.call('SCARD', entry.set)
  -- Fast path: when even all-new members cannot reach a blocked range, skip the member check;
  -- SADD's answer gives the exact number added.
  if peek or reachesAny(entry.blocked, entry.before, entry.before + #entry.members) then
    entry.fresh = fresh(entry.set, entry.members)
    if reachesAny(entry.blocked, entry.before, entry.before + #entry.fresh) then admitted = false end
  end
  entries[e] = entry
end

local out = {'OK', admitted and 1 or 0}
if peek or not admitted then
  for _, entry in ipairs(entries) do
    entry.fresh = entry.fresh or fresh(entry.set, entry.members)
    out[#out + 1] = entry.before
    out[#out + 1] = #entry.fresh
  end
  return out
end

if not pinned and ARGV[3] == 'add' then redis.call('HSET', KEYS[1], 'keyfp', fp) end
for _, entry in ipairs(entries) do
  local added = sadd(entry.set, entry.fresh or entry.members)
  redis.call('SADD', KEYS[2], entry.name)
  redis.call('SADD', KEYS[3], 'counter:' .. entry.name)
  mergeSketch(entry.sketch, entry.updates)
  if added > 0 and ARGV[7] ~= '' then redis.call('HINCRBY', entry.daily, ARGV[7], added) end
  out[#out + 1] = entry.before
  out[#out + 1] = added
end
local firstUnion = 8 + nEntries * 4
for u = 1, nUnions do
  redis.call('SADD', KEYS[3], ARGV[firstUnion + u - 1])
  mergeSketch(KEYS[3 + nEntries * 3 + u], ARGV[6])
end
return out
