/**
 * Lua for the search index, so that a track's entries change all at
 * once. Per site, `<site>:term:<token>` is the set of track ids with
 * that token, `<site>:terms` the vocabulary (a sorted set for prefix
 * lookups) and `<site>:all` every indexed id. The per-track doc lists
 * the tokens it was indexed under, so removal needs nothing else.
 */

/**
 * Takes a track out of its site's sets. Expects `doc` (the doc key).
 * Also part of the track delete (track-deleter.ts).
 */
export const UNINDEX = `
local function unindex(doc, siteBase, trackId)
  local siteId = redis.call('HGET', doc, 'siteId')
  if not siteId then return 0 end
  local base = siteBase .. siteId .. ':'
  local tokens = cjson.decode(redis.call('HGET', doc, 'tokens') or '[]')
  for _, token in ipairs(tokens) do
    local key = base .. 'term:' .. token
    redis.call('SREM', key, trackId)
    if redis.call('SCARD', key) == 0 then
      redis.call('ZREM', base .. 'terms', token)
    end
  end
  redis.call('SREM', base .. 'all', trackId)
  redis.call('DEL', doc)
  return 1
end
`;

/**
 * KEYS: track, doc. ARGV: siteBase, siteId, trackId, tokens (JSON).
 * Replaces what the track is indexed under. A track whose record is gone
 * (deleted meanwhile) is not indexed: returns 0, else 1.
 */
export const INDEX_ADD =
  UNINDEX +
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
unindex(KEYS[2], ARGV[1], ARGV[3])
local base = ARGV[1] .. ARGV[2] .. ':'
local tokens = cjson.decode(ARGV[4])
for _, token in ipairs(tokens) do
  redis.call('SADD', base .. 'term:' .. token, ARGV[3])
  redis.call('ZADD', base .. 'terms', 0, token)
end
redis.call('SADD', base .. 'all', ARGV[3])
redis.call('HSET', KEYS[2], 'siteId', ARGV[2], 'tokens', ARGV[4])
return 1
`;

/**
 * KEYS: doc. ARGV: siteBase, trackId.
 * Takes the track out of the index; 0 when it was not in it.
 */
export const INDEX_REMOVE =
  UNINDEX + `return unindex(KEYS[1], ARGV[1], ARGV[2])`;

/**
 * KEYS: temp. ARGV: siteBase, siteId, offset, count, prefix,
 * maxExpansion, exact tokens….
 * Ids having every exact token and, when a prefix is given, some token
 * starting with it; newest (highest id) first. Returns {total, ids…}.
 * Vocabulary tokens are UTF-8, which never holds the byte 255, so the
 * lex range from prefix to prefix + byte 255 is every token it starts.
 */
export const INDEX_QUERY = `
local base = ARGV[1] .. ARGV[2] .. ':'
local temp = KEYS[1]
local sets = {}
for i = 7, #ARGV do table.insert(sets, base .. 'term:' .. ARGV[i]) end

local prefix = ARGV[5]
if prefix ~= '' then
  local terms = redis.call('ZRANGEBYLEX', base .. 'terms',
    '[' .. prefix, '[' .. prefix .. '\\255', 'LIMIT', 0, tonumber(ARGV[6]))
  if #terms == 0 then return {0} end
  local keys = {}
  for _, term in ipairs(terms) do
    table.insert(keys, base .. 'term:' .. term)
  end
  redis.call('SUNIONSTORE', temp, unpack(keys))
  table.insert(sets, temp)
end
if #sets == 0 then sets = { base .. 'all' } end

local source = sets[1]
if #sets > 1 then
  redis.call('SINTERSTORE', temp, unpack(sets))
  source = temp
end
local total = redis.call('SCARD', source)
local ids = redis.call('SORT', source, 'DESC', 'LIMIT', ARGV[3], ARGV[4])
redis.call('DEL', temp)
local answer = { total }
for _, id in ipairs(ids) do table.insert(answer, id) end
return answer
`;
