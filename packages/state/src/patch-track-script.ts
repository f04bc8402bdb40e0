import { MOVE, MOVE_IMMEDIATE } from './scripts';
import { COUNT_FILES } from './site-usage-scripts';

/**
 * KEYS: track, then the site's count keys (siteCountKeys), then the
 * update applied ('' for none). ARGV: runId
 * ('' for none), quota ('' for none), credit, now (ms), then field,
 * expected, new, … (triples). Compare-and-set of track fields; the
 * site's stored bytes follow the renditions in the same step (new ones
 * counted, replaced ones no longer), and the run's quota hold is given
 * back in it. A run that held its bytes counting the renditions it
 * replaces as freed (`credit` > 0) may not take the site past its quota
 * with others' holds: should the step make the site hold more than
 * before and more than that leaves, nothing changes ('quota'). An update
 * that is gone, published or errored is applied no more ('finished'): a
 * run that went on after the update was errored (its runs stalled out,
 * its last attempt failed elsewhere) must not put its files in the
 * track. Returns 'ok', 'changed', 'missing', 'quota' or 'finished'.
 */
export const PATCH_TRACK =
  COUNT_FILES +
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
if KEYS[6] ~= '' then
  local status = redis.call('HGET', KEYS[6], 'status')
  if not status or status == 'published' or status == 'error' then
    return 'finished'
  end
end
local before = redis.call('HGET', KEYS[1], 'renditions')
local after = before
for i = 5, #ARGV, 3 do
  if (redis.call('HGET', KEYS[1], ARGV[i]) or '') ~= ARGV[i + 1] then
    return 'changed'
  end
  if ARGV[i] == 'renditions' then after = ARGV[i + 2] end
end
if ARGV[2] ~= '' and tonumber(ARGV[3]) > 0 then
  local grows = 0
  local now = {}
  if after and after ~= '' then
    for _, r in pairs(cjson.decode(after)) do
      now[r.storageKey] = true
      local old = tonumber(redis.call('HGET', KEYS[2], r.storageKey) or '0')
      grows = grows + r.bytes - old
    end
  end
  if before and before ~= '' then
    for _, r in pairs(cjson.decode(before)) do
      if not now[r.storageKey] then
        grows = grows - tonumber(redis.call('HGET', KEYS[2], r.storageKey) or '0')
      end
    end
  end
  if grows > 0 then
    local held = 0
    local reserved = redis.call('HGETALL', KEYS[4])
    for i = 1, #reserved, 2 do
      local untilMs = tonumber(redis.call('ZSCORE', KEYS[5], reserved[i]) or '0')
      if reserved[i] ~= ARGV[1] and untilMs > tonumber(ARGV[4]) then
        held = held + tonumber(reserved[i + 1])
      end
    end
    local used = tonumber(redis.call('GET', KEYS[3]) or '0')
    if used + grows + held > tonumber(ARGV[2]) then return 'quota' end
  end
end
for i = 5, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
end
countRenditions(KEYS[2], KEYS[3], before, after)
releaseRun(KEYS[4], KEYS[5], ARGV[1])
return 'ok'
`;

/**
 * KEYS: update, its job ('' for an immediate update), its track. ARGV:
 * now, n, then n pairs of a track field and its value as read, then the
 * update's fields as k,v,… Moves the update to 'error' only if the
 * track's fields are still as read (none given: the track was gone), in
 * the step that PATCH_TRACK's check of the update's status cannot come
 * between. Returns {moved, jobState}; moved is -1 when the track changed.
 */
export const ERROR_UNPATCHED =
  MOVE +
  MOVE_IMMEDIATE +
  `
local n = tonumber(ARGV[2])
for i = 3, 2 + 2 * n, 2 do
  if (redis.call('HGET', KEYS[3], ARGV[i]) or '') ~= ARGV[i + 1] then
    return {-1, ''}
  end
end
local fields = {unpack(ARGV, 3 + 2 * n)}
if KEYS[2] == '' then
  return {moveImmediate(KEYS[1], 'error', fields), ''}
end
local result = move(KEYS[1], KEYS[2], 'error', ARGV[1], fields)
result[2] = result[2] or ''
return result
`;
