import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { ApiError, retryAfterOf, type Site } from '@ingest/core';
import {
  isRedisOutOfMemory,
  isRedisDiskError,
  isRedisTimeout,
  metRedisTimeout,
  REDIS_DISK_ERROR,
  REDIS_DISK_ERROR_ANSWER,
  REDIS_FULL,
  REDIS_FULL_ANSWER,
  REDIS_TIMEOUT_ANSWER,
  type RedisFullWatch,
} from '@ingest/queue';
import { isStorageUnavailable } from '@ingest/storage';
import type { Logger } from '@ingest/telemetry';
import type { IdempotencyStore, StateStore } from '@ingest/state';
import { checkParams, type ParamSchema } from '../api/param-check';
import { authenticate } from './auth';
import type { BodyPace } from './body-pace';
import { CallLine } from './call-line';
import { runIdempotent } from './idempotency';
import type { SavedCheck } from './saved-check';
import type { CallDrain } from './in-flight';
import type { Params } from './params';
import { readParams, type FileHandler } from './read-params';
import { usableRequestId } from './request-id';

export interface CallContext {
  site: Site;
  params: Params;
  requestId: string;
  log: Logger;
  req: Request;
  res: Response;
  /** Aborted when the gateway, shutting down, cuts its calls short. */
  signal: AbortSignal;
}

export interface EndpointDeps {
  store: StateStore;
  logger: Logger;
  maxBodyBytes: number;
  /**
   * How long a multipart body may take to arrive (INGEST_FETCH_TIMEOUT);
   * past it the call answers 408 `request_timeout`. None: no limit here.
   */
  bodyTimeoutMs?: number;
  /**
   * How a JSON, form or other body, or a multipart one outside its file
   * part, must arrive (http/body-pace.ts); past it, 408
   * `request_timeout` too. None: no limit here.
   */
  smallBodyPace?: BodyPace;
  /** Where Idempotency-Key answers are kept; none: the header is ignored. */
  idempotency?: IdempotencyStore;
  /** Tracks calls through a shutdown; none: calls are never cut short. */
  drain?: CallDrain;
  /**
   * Tells a full Redis once for the gateway, its workers included: one
   * line when calls first meet it and one when it has room again. None:
   * each call that meets it logs it.
   */
  redisFull?: RedisFullWatch;
  /**
   * Confirms, before a call that may have written answers 2xx, that
   * Redis got it to its disk. None: not checked.
   */
  saved?: SavedCheck;
}

export interface EndpointOptions {
  /** Takes a multipart `file`; it is given the fields read before it. */
  onFile?: (ctx: Omit<CallContext, 'site' | 'params'>) => FileHandler;
  /**
   * Runs after the handler, whatever happened (e.g. to free a slot), and
   * before the answer is sent; beside it when the call met a Redis
   * timeout (its Redis commands sent first).
   */
  cleanup?: (ctx: Omit<CallContext, 'site' | 'params'>) => Promise<void>;
  /**
   * Honours an Idempotency-Key header; `fingerprint` adds to the request's
   * identity what its parameters miss (a multipart file's sha256).
   */
  idempotent?: { fingerprint?: (ctx: CallContext) => string | undefined };
  /**
   * The endpoint's parameters (api/param-schemas.ts), checked before the
   * handler runs: a bad one answers 400 naming it.
   */
  schema?: ParamSchema;
  /**
   * Told the code of each call answered with an error, once per call,
   * whichever step refused it: reading the body (a multipart file's own
   * handler included), authentication, the parameters or the handler.
   */
  onRefused?: (code: string) => void;
  /** The call never writes: its answer needs no `saved` check. */
  readOnly?: boolean;
}

/**
 * Wraps an API handler: reads the parameters however they came,
 * authenticates, runs it and answers JSON. A handler that returns
 * `undefined` has answered itself (downloads).
 */
export function endpoint(
  deps: EndpointDeps,
  handler: (ctx: CallContext) => Promise<unknown>,
  options: EndpointOptions = {},
) {
  const signal = deps.drain?.signal ?? new AbortController().signal;
  const answerCall = async (req: Request, res: Response) => {
    // An id past the rule (too long, control characters) is not taken.
    const requestId =
      usableRequestId(req.headers['x-request-id']) ?? randomUUID();
    const log = deps.logger.child({ requestId });
    const base = { requestId, log, req, res, signal };
    const told: FailureLog = {
      log,
      requestId,
      call: `${req.method} ${req.baseUrl}${req.path}`,
      redisFull: deps.redisFull,
    };
    res.setHeader('X-Request-Id', requestId);
    const line = new CallLine(log, told.call);
    line.watch(res);

    let answer: () => void;
    let timedOut = false;
    const late = bodyDeadline(req, deps.bodyTimeoutMs);
    try {
      const params = await readParams(req, {
        maxBodyBytes: deps.maxBodyBytes,
        pace: deps.smallBodyPace,
        onFile: options.onFile?.(base),
        signal: AbortSignal.any([signal, late.signal]),
      }).finally(late.clear);
      const site = await authenticate(deps.store, req, params);
      line.site(site.id);
      if (options.schema) checkParams(options.schema, params);
      const call = { ...base, site, params };
      const body =
        options.idempotent && deps.idempotency
          ? await runIdempotent(deps.idempotency, call, options.idempotent, () =>
              handler(call),
            )
          : await handler(call);
      if (!options.readOnly) await deps.saved?.confirm();
      line.answered(body);
      answer = () => {
        if (body !== undefined && !res.headersSent) res.json(body);
      };
    } catch (err) {
      // Cut short at shutdown: 503, whichever step failed, so the client
      // retries (on another gateway) rather than giving the call up.
      const refusal = signal.aborted ? signal.reason : err;
      const { code } = apiErrorOf(refusal);
      // A refusal that names what the call stored counts too (its step
      // met the timeout): the cleanup would wait its own just the same.
      timedOut = metRedisTimeout(refusal);
      line.refused(code);
      options.onRefused?.(code);
      answer = signal.aborted
        ? () => sendCutShort(res, told, refusal)
        : () => sendError(res, told, refusal);
    }

    // The cleanup ends before the answer goes out: a client that sends
    // its next upload as soon as it has this answer finds the site's
    // upload slot free, not taken by the call it has seen end. Not after
    // a Redis timeout: the call has waited one out, and the cleanup would
    // wait its own (20-30 s in all). Its commands are sent by then, on
    // the connection that sends a retry's after them; the call (counted
    // in flight, waited for by a drain) ends with it.
    const cleanup = options.cleanup?.(base).catch((err) => {
      log.warn({ err }, 'request cleanup failed');
    });
    if (!timedOut) await cleanup;
    try {
      answer();
    } catch (err) {
      sendError(res, told, err);
    }
    await cleanup;
  };

  return (req: Request, res: Response) => {
    const work = answerCall(req, res);
    deps.drain?.track(work);
    return work;
  };
}

/** Where a call's failure is told. */
interface FailureLog {
  /** The call's logger (it carries the request id). */
  log: Logger;
  requestId: string;
  /** `POST /api/import/createJob`: the call, without its query. */
  call: string;
  redisFull?: RedisFullWatch;
}

function sendCutShort(res: Response, told: FailureLog, reason: unknown) {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  sendError(res, told, reason);
}

function sendError(res: Response, told: FailureLog, err: unknown) {
  const { log } = told;
  const apiError = apiErrorOf(err);
  if (!res.socket || res.socket.destroyed) {
    // The client hung up; what failed after that is no server fault.
    log.debug({ code: apiError.code }, 'client gone');
    return;
  }
  if (isStorageUnavailable(err)) {
    log.warn({ err: (err as Error).message }, 'storage unavailable');
  } else if (isRedisOutOfMemory(err)) {
    // Nothing frees itself: an operator must raise maxmemory or clean up.
    // While it lasts, every call that writes meets it: told once.
    const origin = { call: told.call, requestId: told.requestId };
    if (!told.redisFull?.refused(err, origin)) {
      log.error({ err: (err as Error).message }, REDIS_FULL);
    }
  } else if (isRedisDiskError(err)) {
    log.error({ err: (err as Error).message }, REDIS_DISK_ERROR);
  } else if (metRedisTimeout(err)) {
    log.warn({ err: (err as Error).message }, 'redis did not answer in time');
  } else if (!(err instanceof ApiError) || err.cause !== undefined) {
    // An ApiError with a cause answers for a fault the client is not
    // told of (a step after an upload was stored failed).
    log.error({ err }, 'request failed');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A body cut for its pace, or past its size, is not read to its end
  // (RFC 9110 §15.5.9, §15.5.14): the connection goes with the answer.
  if (apiError.code === 'request_timeout' || apiError.code === 'payload_too_large') {
    res.setHeader('Connection', 'close');
  }
  const retryAfter = retryAfterOf(apiError.code);
  if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
  res.status(apiError.status).json(apiError.toBody());
}

/**
 * Lets go of a multipart body that takes longer than `timeoutMs` with a
 * JSON 408, as a fetch by URL would fail (Node's own request timeout,
 * set later as a backstop, would answer a bare 408 with no body). A body
 * that has all arrived is not late: what still runs then (storing the
 * file, Redis) answers for itself; a stalled Redis was told as a late
 * body.
 */
function bodyDeadline(req: Request, timeoutMs: number | undefined) {
  const controller = new AbortController();
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          if (req.complete) return;
          controller.abort(
            new ApiError(
              'request_timeout',
              'the request body did not arrive within ' +
                `${Math.round(timeoutMs / 1000)} s`,
            ),
          );
        }, timeoutMs);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * The answer for `err`: its own when it is an ApiError; a store that
 * cannot be reached, or a Redis that is full or does not answer in
 * time, is a 503 the client may retry (the log has why: the service's
 * insides are none of the client's business).
 */
function apiErrorOf(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isStorageUnavailable(err)) {
    return new ApiError('not_ready', 'storage is unavailable; retry later');
  }
  if (isRedisOutOfMemory(err)) {
    return new ApiError('not_ready', REDIS_FULL_ANSWER);
  }
  if (isRedisDiskError(err)) {
    return new ApiError('not_ready', REDIS_DISK_ERROR_ANSWER);
  }
  if (isRedisTimeout(err)) return new ApiError('not_ready', REDIS_TIMEOUT_ANSWER);
  return new ApiError('internal', undefined);
}
