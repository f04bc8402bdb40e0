import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { ApiError, PartlyDoneError } from '@ingest/core';
import { isRedisTimeout, metRedisTimeout } from '@ingest/queue';
import type { IdempotencyStore } from '@ingest/state';
import type { CallContext } from './endpoint';
import { LISTS } from './list-items';
import { list, type Params } from './params';

/** How long an answer is replayed for its key. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const HEADER = 'idempotency-key';
const REPLAYED_HEADER = 'Idempotent-Replayed';
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header of a request, checked; undefined if none. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const value = req.headers[HEADER];
  if (value === undefined) return undefined;
  if (Array.isArray(value) || !KEY_FORMAT.test(value)) {
    throw new ApiError(
      'invalid_parameter',
      'Idempotency-Key must be one value of 1-255 visible ASCII characters',
      { parameters: ['Idempotency-Key'] },
    );
  }
  return value;
}

/**
 * What makes two calls "the same request": the endpoint, every
 * parameter but the token, and what the parameters miss (a file's
 * sha256). Order of parameters does not matter, nor how a list is sent
 * (`formats=mp3,wav`, `formats[]=`, a JSON array): lists are taken as
 * the parser reads them, as sets.
 */
export function requestFingerprint(
  endpointPath: string,
  params: Params,
  extra = '',
): string {
  const sorted = <T>(map: Map<string, T>) =>
    [...map].filter(([key]) => key !== 'token').sort(byKey);
  const { values, lists } = canonicalLists(params);
  const meta = Object.entries(params.meta).sort(byKey);
  const canonical = JSON.stringify([
    endpointPath,
    sorted(values),
    sorted(lists),
    params.hasMeta ? meta : null,
    extra,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Values and lists with every list parameter read into a sorted set. */
function canonicalLists(params: Params) {
  const values = new Map(params.values);
  const lists = new Map(params.lists);
  for (const name of LISTS) {
    let items: string[] | undefined;
    try {
      items = list(params, name);
    } catch {
      continue; // sent both ways: the handler refuses it, keep it raw
    }
    values.delete(name);
    lists.delete(name);
    if (items) lists.set(name, [...new Set(items)].sort());
  }
  return { values, lists };
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * Runs `handler` once per Idempotency-Key and site (no header: just
 * runs it). A repeat of a finished request gets the first answer again,
 * a different request with the key is refused, and a repeat while the
 * first still runs gets 409. Only answers of success are kept: a failed
 * call did nothing, so its key is freed and a retry runs anew; but one
 * whose write Redis did not answer in time may have done its work, and
 * a retry with its key gets 409 `idempotency_unknown`; and one that says
 * it did part of its work (`PartlyDoneError`) keeps that answer.
 */
export async function runIdempotent(
  store: IdempotencyStore,
  ctx: CallContext,
  options: { fingerprint?: (ctx: CallContext) => string | undefined },
  handler: () => Promise<unknown>,
): Promise<unknown> {
  const { req, res, log } = ctx;
  const key = idempotencyKeyOf(req);
  if (key === undefined) return handler();

  const siteId = ctx.site.id;
  const keyHash = createHash('sha256').update(key).digest('hex');
  const fingerprint = requestFingerprint(
    req.baseUrl + req.path,
    ctx.params,
    options.fingerprint?.(ctx),
  );
  // Names this call's claim: a release frees no other call's claim of
  // the key (the same request sent twice has the same fingerprint).
  const claimId = randomUUID();
  const claim = await store
    .claim(siteId, keyHash, fingerprint, claimId)
    .catch((err: unknown) => {
      // Redis may still make the claim once it answers again: the
      // release, sent after it on the same connection, frees the key
      // for the client's retry. It is not waited for.
      if (isRedisTimeout(err)) {
        store.release(siteId, keyHash, fingerprint, claimId).catch(() => {});
      }
      throw err;
    });
  if (claim.state !== 'claimed') {
    if (claim.fingerprint !== fingerprint) {
      throw new ApiError(
        'idempotency_key_reused',
        'Idempotency-Key was already used for a different request; ' +
          'use a new key for a new request',
      );
    }
    if (claim.state === 'unknown') {
      throw new ApiError(
        'idempotency_unknown',
        'an earlier request with this Idempotency-Key was cut short (Redis ' +
          'did not answer in time) and may have done its work: look ' +
          '(list, checkJob) before sending it again, with a new key',
      );
    }
    if (claim.state === 'running') {
      throw new ApiError(
        'idempotency_in_progress',
        'the first request with this Idempotency-Key is still running; ' +
          'retry later',
      );
    }
    res.setHeader(REPLAYED_HEADER, 'true');
    res.status(claim.status);
    return claim.body;
  }

  let body: unknown;
  try {
    body = await handler();
  } catch (err) {
    claim.lease.stop();
    if (isRedisTimeout(err)) {
      // A write given up on may still run once Redis goes on: a retry
      // with the key is told so, not run twice. Sent after that write on
      // the same connection, so not waited for.
      store.markUnknown(siteId, keyHash, fingerprint, claimId).catch(() => {});
      throw err;
    }
    if (err instanceof PartlyDoneError) {
      // What it stored stands: a retry with the key (the SDK retries a
      // 5xx with it) is told so again, not run a second time.
      const answer = { status: err.status, body: err.toBody() };
      const kept = store
        .complete(siteId, keyHash, fingerprint, answer)
        .catch((cause) => {
          log.warn({ err: cause }, 'idempotency answer not stored');
        });
      // Behind a write Redis did not answer, on the same connection: a
      // wait would hold the answer for a second timeout, and a retry's
      // claim sent after it finds the answer kept all the same (one
      // through another gateway may find the claim still held: 409).
      if (!metRedisTimeout(err)) await kept;
      throw err;
    }
    await store.release(siteId, keyHash, fingerprint, claimId).catch((cause) => {
      log.warn({ err: cause }, 'idempotency key release failed');
    });
    throw err;
  }

  claim.lease.stop();
  const status = res.statusCode;
  await store
    .complete(siteId, keyHash, fingerprint, { status, body })
    .catch((err) => {
      log.warn({ err }, 'idempotency answer not stored');
    });
  return body;
}
