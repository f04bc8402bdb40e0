import { keys } from './keys';

/**
 * Lua for INGEST_SITE_QUOTA's counts, prepended to the steps that record
 * stored files (a track's publish, patch and delete), so that a site's
 * count moves in the same step as the records that name its files. Each
 * key is counted by name in the site's `stored` hash, beside the total:
 * counting a key twice, or forgetting it twice, changes the total once.
 */
export const COUNT_FILES = `
local function countFile(stored, total, key, bytes)
  local old = tonumber(redis.call('HGET', stored, key) or '0')
  redis.call('HSET', stored, key, bytes)
  return redis.call('INCRBY', total, bytes - old)
end
local function forgetFile(stored, total, key)
  local old = redis.call('HGET', stored, key)
  if not old then return 0 end
  redis.call('HDEL', stored, key)
  return redis.call('DECRBY', total, tonumber(old))
end
local function countRenditions(stored, total, before, after)
  local now = {}
  if after and after ~= '' then
    for _, r in pairs(cjson.decode(after)) do now[r.storageKey] = r.bytes end
  end
  if before and before ~= '' then
    for _, r in pairs(cjson.decode(before)) do
      if now[r.storageKey] == nil then forgetFile(stored, total, r.storageKey) end
    end
  end
  for key, bytes in pairs(now) do countFile(stored, total, key, bytes) end
end
local function releaseRun(reserved, reservedUntil, runId)
  if runId == '' then return end
  redis.call('HDEL', reserved, runId)
  redis.call('ZREM', reservedUntil, runId)
end
`;

/**
 * A site's count and reservation keys, in the order the steps that use
 * COUNT_FILES take them: stored, total, reserved, reservedUntil.
 */
export function siteCountKeys(siteId: number): string[] {
  return [
    keys.siteStored(siteId),
    keys.siteStoredTotal(siteId),
    keys.siteReserved(siteId),
    keys.siteReservedUntil(siteId),
  ];
}
