import type { IncomingMessage } from 'node:http';
import { ApiError, type Site } from '@ingest/core';
import type { StateStore } from '@ingest/state';
import { text, type Params } from './params';

/**
 * The token of a call: `token` parameter or `Authorization: Bearer`. Both
 * with different values are refused, as other clashing parameters are:
 * which site the call meant cannot be guessed.
 */
export function tokenOf(req: IncomingMessage, params: Params) {
  // Node keeps the first of repeated Authorization headers and drops the
  // rest; two that differ are as ambiguous as two token parameters.
  const sentHeaders = req.headersDistinct?.authorization ?? [];
  if (new Set(sentHeaders).size > 1) {
    throw new ApiError(
      'invalid_parameter',
      'Authorization is given twice with different values; send one',
      { parameters: ['Authorization'] },
    );
  }
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const sentOtherwise =
    params.lists.has('token') ||
    [...params.values.keys()].some((key) => key.startsWith('token['));
  if (sentOtherwise) {
    // A list or object is a malformed token, not a missing one.
    throw new ApiError('invalid_parameter', 'token must be text', {
      parameters: ['token'],
    });
  }
  const param = text(params, 'token');
  if (bearer && param && bearer !== param) {
    throw new ApiError(
      'invalid_parameter',
      'token and Authorization: Bearer name different tokens; send one',
      { parameters: ['token', 'Authorization'] },
    );
  }
  return bearer ?? param;
}

export async function authenticate(
  store: StateStore,
  req: IncomingMessage,
  params: Params,
): Promise<Site> {
  const token = tokenOf(req, params);
  if (!token) throw missingToken(req);
  const site = await store.siteByToken(token);
  if (!site) throw new ApiError('unauthorized', 'unknown token');
  return site;
}

/**
 * No token. A header of another form (`Authorization: <token>`, without
 * the word Bearer) was told only that a token is required, as if none
 * had been sent. The header itself is not echoed: it holds a secret.
 */
function missingToken(req: IncomingMessage): ApiError {
  const header = req.headers.authorization?.trim();
  if (header && !/^Bearer\s+\S+$/i.test(header)) {
    return new ApiError(
      'unauthorized',
      'token is required: the Authorization header is not of the form ' +
        '"Bearer <token>" (the word Bearer, a space, the token); or send ' +
        'the token parameter',
    );
  }
  return new ApiError(
    'unauthorized',
    'token is required (token parameter or Authorization: Bearer)',
  );
}
