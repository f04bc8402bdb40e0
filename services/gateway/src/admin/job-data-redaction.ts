import { maskAddress } from '@ingest/core';

/**
 * Job payloads as the dashboard shows them: email recipients and the
 * query of webhook URLs (which may carry a secret) are masked, as logs
 * never show them whole either.
 */
export function redactJobData(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const shown: Record<string, unknown> = { ...data };
  if (typeof shown.to === 'string') shown.to = maskAddress(shown.to);
  if (typeof shown.url === 'string') shown.url = maskUrl(shown.url);
  // Inbound imports (`imports` queue): a source URL may be signed, and
  // `oncomplete` is an address or a webhook URL.
  if (typeof shown.oncomplete === 'string') {
    shown.oncomplete = shown.oncomplete.includes('://')
      ? maskUrl(shown.oncomplete)
      : maskAddress(shown.oncomplete);
  }
  // No job of ours carries a token, but an import payload written the
  // way an HTTP call is (`token` beside the fields) does: it is refused,
  // and kept a week with the token in it.
  if (shown.token !== undefined) shown.token = '***';
  const source = shown.source as Record<string, unknown> | undefined;
  if (source && typeof source.url === 'string') {
    shown.source = { ...source, url: maskUrl(source.url) };
  }
  return shown;
}

export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const query = url.search ? '?***' : '';
    const auth = url.username || url.password ? '***@' : '';
    return `${url.protocol}//${auth}${url.host}${url.pathname}${query}`;
  } catch {
    return '***';
  }
}
