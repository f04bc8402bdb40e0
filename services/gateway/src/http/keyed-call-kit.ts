/**
 * For tests of runIdempotent: an upload call of site `siteId` with
 * Idempotency-Key `key`, and the answer it gives, with the status and
 * headers set on it kept.
 */
import type { Request, Response } from 'express';
import type { CallContext } from './endpoint';
import { emptyParams } from './params';

export interface KeptAnswer {
  statusCode: number;
  headers: Record<string, string>;
}

export function keyedUploadCall(siteId: number, key: string) {
  const res = {
    statusCode: 200,
    headers: {} as Record<string, string>,
    setHeader(name: string, value: string) {
      this.headers[name.toLowerCase()] = value;
    },
    status(code: number) {
      this.statusCode = code;
      return this;
    },
  };
  const call = {
    site: { id: siteId },
    params: emptyParams(),
    req: {
      headers: { 'idempotency-key': key },
      baseUrl: '/api/import',
      path: '/upload',
    } as unknown as Request,
    res: res as unknown as Response,
  } as unknown as CallContext;
  return { call, res: res as KeptAnswer };
}
