/**
 * KEYS: track, its updates, update, then the job and its updates ('' and
 * '' for an immediate update). ARGV: updateId, fields as k,v,…
 * Adds an update of a track that still stands, in the step that lists it
 * among the track's updates: a track deleted while the update's source
 * was fetched is found gone here ('missing'), rather than left with an
 * update that can only error and an update list no delete will take
 * again. An update in a job counts in q like an upload, only while the
 * job is open ('closed'). Returns 'ok', 'missing' or 'closed'.
 */
export const ADD_UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
if KEYS[4] ~= '' then
  if redis.call('HGET', KEYS[4], 'state') ~= 'open' then return 'closed' end
  redis.call('ZADD', KEYS[5], ARGV[1], ARGV[1])
  redis.call('HINCRBY', KEYS[4], 'q', 1)
end
redis.call('HSET', KEYS[3], unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
return 'ok'
`;
