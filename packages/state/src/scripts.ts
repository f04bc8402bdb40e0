/**
 * Lua scripts for the state changes that must be atomic across any
 * number of gateways and transcoders. Counters q/i/d/e live on the job
 * hash and move only here, so checkJob never has to scan uploads.
 */
import { COUNT_FILES } from './site-usage-scripts';

/** Which counter an upload status counts in. */
const COUNTER_OF = `
local function counter(status)
  if status == 'uploaded' or status == 'queued' then return 'q' end
  if status == 'transcoding' then return 'i' end
  if status == 'published' then return 'd' end
  if status == 'error' then return 'e' end
  return nil
end
`;

/**
 * KEYS: job, jobUploads, upload. ARGV: uploadId, sha256 or '', '1' to
 * check the name or '', fields as k,v,… Adds an upload to an open job.
 * Returns 'ok', 'closed', 'duplicate:<id>' when a sha256 is given and a
 * live upload of the job holds the same bytes (the job's shas hash
 * indexes them), or, when the name is checked, 'same_name:<id>' while a
 * waiting upload holds the new upload's `stem`: one of that name came in
 * since the caller looked, and nothing is written (the caller decides
 * whether the file is its source). An upload with a `stem` is indexed in
 * the job's stems hash unless a live upload holds that stem already
 * (secondary sources attach to the first).
 */
export const ADD_UPLOAD = `
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 'closed' end
local stems = string.gsub(KEYS[2], ':uploads$', ':stems')
if ARGV[3] == '1' then
  local stem
  for i = 4, #ARGV - 1, 2 do
    if ARGV[i] == 'stem' then stem = ARGV[i + 1] end
  end
  local held = stem and redis.call('HGET', stems, stem)
  if held then
    local heldKey = string.gsub(KEYS[3], '%d+$', held)
    if redis.call('HGET', heldKey, 'status') == 'uploaded' then
      return 'same_name:' .. held
    end
  end
end
if ARGV[2] ~= '' then
  local shas = string.gsub(KEYS[2], ':uploads$', ':shas')
  local same = redis.call('HGET', shas, ARGV[2])
  if same and redis.call('EXISTS', (string.gsub(KEYS[3], '%d+$', same))) == 1
  then return 'duplicate:' .. same end
  redis.call('HSET', shas, ARGV[2], ARGV[1])
end
redis.call('HSET', KEYS[3], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'q', 1)
local stem = redis.call('HGET', KEYS[3], 'stem')
if stem then
  local held = redis.call('HGET', stems, stem)
  local heldKey = held and string.gsub(KEYS[3], '%d+$', held)
  if not held or redis.call('EXISTS', heldKey) == 0 then
    redis.call('HSET', stems, stem, ARGV[1])
  end
end
return 'ok'
`;

/**
 * KEYS: job, jobUploads, jobAutopublish. ARGV: now, oncomplete or '',
 * '1' for the idle timer's publish or ''.
 * Closes an open job and queues its uploads and track updates. Returns
 * {uploadIds, updateIds}, or an error reply 'closed' / 'empty'. The
 * idle timer's publish is refused with 'no_autopublish' when the job's
 * autopublish uploads were marked and none is left: checked in this
 * step, so no delete can come between the check and the publish.
 * What serves only a job that takes uploads goes with the close: its
 * duplicate (shas) and secondary-source (stems) indexes and its
 * autopublish marks; kept, they would grow with every job for ever.
 */
export const PUBLISH_JOB = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'open' then return redis.error_reply('closed') end
if ARGV[3] == '1' and redis.call('HEXISTS', KEYS[1], 'autopublishMarked') == 1
  and redis.call('SCARD', KEYS[3]) == 0 then
  return redis.error_reply('no_autopublish')
end
local function queue(setKey, prefix)
  local queued = {}
  for _, id in ipairs(redis.call('ZRANGE', setKey, 0, -1)) do
    local key = prefix .. id
    if redis.call('HGET', key, 'status') == 'uploaded' then
      redis.call('HSET', key, 'status', 'queued')
      table.insert(queued, id)
    end
  end
  return queued
end
local uploads = queue(KEYS[2], string.gsub(KEYS[1], ':job:%d+$', ':upload:'))
local updates = queue(string.gsub(KEYS[2], ':uploads$', ':updates'),
  string.gsub(KEYS[1], ':job:%d+$', ':update:'))
if #uploads == 0 and #updates == 0 then return redis.error_reply('empty') end
redis.call('HSET', KEYS[1], 'state', 'publishing', 'publishedAt', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'oncomplete', ARGV[2]) end
redis.call('DEL', (string.gsub(KEYS[2], ':uploads$', ':shas')),
  (string.gsub(KEYS[2], ':uploads$', ':stems')), KEYS[3])
return {uploads, updates}
`;

/**
 * KEYS: job. ARGV: target. Sets the job's `oncomplete` unless the job is
 * complete (or gone): its deliveries were planned when it completed, so
 * a target set after that would never be told. Returns 1 when set.
 */
export const SET_ONCOMPLETE = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'complete' then return 0 end
redis.call('HSET', KEYS[1], 'oncomplete', ARGV[1])
return 1
`;

/**
 * move(upload, job, to, now, fields, onMove): moves an upload between
 * statuses and its job's counters with it. A terminal upload (published
 * / error) never moves again, so a job that runs twice changes nothing
 * the second time; `onMove`, if given, runs only when the upload moves.
 * Marks the job complete when nothing is waiting or running. Returns
 * {moved, jobState}.
 */
export const MOVE = COUNTER_OF + `
local function move(upload, job, to, now, fields, onMove)
  local from = redis.call('HGET', upload, 'status')
  local jobState = redis.call('HGET', job, 'state')
  if not from then return {0, jobState or ''} end
  if from == 'published' or from == 'error' then return {0, jobState} end
  if onMove then onMove() end
  if from ~= to then
    redis.call('HINCRBY', job, counter(from), -1)
    redis.call('HINCRBY', job, counter(to), 1)
  end
  redis.call('HSET', upload, 'status', to)
  if #fields > 0 then redis.call('HSET', upload, unpack(fields)) end
  if jobState == 'publishing' then
    local q = tonumber(redis.call('HGET', job, 'q') or '0')
    local i = tonumber(redis.call('HGET', job, 'i') or '0')
    if q == 0 and i == 0 then
      redis.call('HSET', job, 'state', 'complete', 'completedAt', now)
      jobState = 'complete'
    end
  end
  return {1, jobState}
end
`;

/**
 * moveImmediate(update, to, fields): moves an immediate update (no job,
 * no counters). A finished update never moves again. Returns 1 when
 * moved.
 */
export const MOVE_IMMEDIATE = `
local function moveImmediate(update, to, fields)
  local from = redis.call('HGET', update, 'status')
  if not from or from == 'published' or from == 'error' then return 0 end
  redis.call('HSET', update, 'status', to)
  if #fields > 0 then redis.call('HSET', update, unpack(fields)) end
  return 1
end
`;

/** KEYS: upload, job. ARGV: to-status, now, fields as k,v,… See MOVE. */
export const MOVE_UPLOAD = MOVE + `
return move(KEYS[1], KEYS[2], ARGV[1], ARGV[2], {unpack(ARGV, 3)})
`;

/**
 * KEYS: upload, job, track, uploadFiles, then the site's count keys
 * (siteCountKeys). ARGV: now, trackId, the run's reservation id or '',
 * track fields as k,v,… Saves the upload's track and marks the upload
 * published in one step, only if it is not published (or errored) yet:
 * the first run of an upload to finish makes its track, and its
 * renditions are counted as the site's (INGEST_SITE_QUOTA) in the same
 * step; a later one (run twice, or taken back while it still ran) and
 * one after the track was deleted change nothing. Either way the upload
 * is finished: the keys its runs noted as stored are taken, and the
 * run's reservation is given back. Returns {moved, jobState, keys}.
 */
export const PUBLISH_TRACK = MOVE + COUNT_FILES + `
local saveTrack = function()
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], unpack(ARGV, 4))
  countRenditions(KEYS[5], KEYS[6], '',
    redis.call('HGET', KEYS[3], 'renditions'))
end
local result = move(KEYS[1], KEYS[2], 'published', ARGV[1],
  {'trackId', ARGV[2]}, saveTrack)
result[2] = result[2] or ''
result[3] = redis.call('SMEMBERS', KEYS[4])
redis.call('DEL', KEYS[4])
releaseRun(KEYS[7], KEYS[8], ARGV[3])
return result
`;

/**
 * KEYS: upload, seq. ARGV: none.
 * Gives the upload its track id once; later calls return the same id.
 */
export const CLAIM_TRACK_ID = `
local id = redis.call('HGET', KEYS[1], 'trackId')
if id then return tonumber(id) end
id = redis.call('HINCRBY', KEYS[2], 'track', 1)
redis.call('HSET', KEYS[1], 'trackId', id)
return id
`;

/**
 * KEYS: site, seq, siteJobs. ARGV: siteId, now, jobKeyPrefix.
 * The site's open main job; a fresh one when it has none or the last one
 * was published. Returns the job id.
 */
export const MAIN_JOB = `
local current = redis.call('HGET', KEYS[1], 'mainJobId')
if current then
  local state = redis.call('HGET', ARGV[3] .. current, 'state')
  if state == 'open' then return tonumber(current) end
end
local id = redis.call('HINCRBY', KEYS[2], 'job', 1)
redis.call('HSET', ARGV[3] .. id, 'id', id, 'siteId', ARGV[1],
  'name', 'main', 'created', '0', 'state', 'open', 'createdAt', ARGV[2],
  'q', 0, 'i', 0, 'd', 0, 'e', 0)
redis.call('ZADD', KEYS[3], id, id)
redis.call('HSET', KEYS[1], 'mainJobId', id)
return id
`;

/**
 * KEYS: job, jobItems, item, jobAutopublish. ARGV: itemId, member
 * (`upload:<id>` / `update:<id>`).
 * Drops an upload or update that still waits for its job's publish, with
 * its counter and its autopublish mark (in the same step, so an idle
 * timer never sees the item gone but still marked). Returns
 * {'dropped', sources-json}, {status} when it has moved on, or
 * {'missing'}. The sources come from the same atomic read,
 * so a source attached a moment earlier is not left behind in storage.
 */
export const DROP_WAITING = `
local status, sources = unpack(redis.call('HMGET', KEYS[3], 'status',
  'sources'))
if not status then return {'missing'} end
if status ~= 'uploaded' then return {status} end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'q', -1)
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[4], ARGV[2])
return {'dropped', sources or '{}'}
`;

/**
 * KEYS: jobAutopublish, job, item. ARGV: member (`upload:<id>` /
 * `update:<id>`). Marks an autopublish item of the job, only while the
 * item still waits: a delete (DROP_WAITING) that landed between the
 * item's add and this mark took out no member, and a mark made now
 * would outlive its item. Either order ends alike: the job marked, the
 * member only with its item. Returns 1 when the member was added.
 */
export const MARK_WAITING = `
redis.call('HSET', KEYS[2], 'autopublishMarked', '1')
if redis.call('HGET', KEYS[3], 'status') ~= 'uploaded' then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`;

/**
 * The end of a compare-and-set script on the hash KEYS[1]. ARGV: field,
 * expected, new, … (triples). Rewrites the fields only if each still
 * holds what the caller read (a missing field reads as ''). Returns 'ok'
 * or 'changed'.
 */
export const SET_IF_UNCHANGED = `
for i = 1, #ARGV, 3 do
  if (redis.call('HGET', KEYS[1], ARGV[i]) or '') ~= ARGV[i + 1] then
    return 'changed'
  end
end
for i = 1, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
end
return 'ok'
`;
