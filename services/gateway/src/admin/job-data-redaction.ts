import { maskAddress } from '@ingest/core';

/**
 * Job payloads as the dashboard shows them: email recipients, and webhook
 * URLs but for their origin, are masked, as logs and checkJob never show
 * them whole either. A webhook's path may be its secret (Slack's
 * `/services/T…/B…/<secret>`, Discord's `/api/webhooks/<id>/<token>`).
 * A source URL keeps its path, which names the file; its query (a
 * signature) is masked.
 */
export function redactJobData(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const shown: Record<string, unknown> = { ...data };
  if (typeof shown.to === 'string') shown.to = maskAddress(shown.to);
  if (typeof shown.url === 'string') shown.url = maskUrl(shown.url, WEBHOOK);
  // Inbound imports (`imports` queue): a source URL may be signed, and
  // `oncomplete` is an address or a webhook URL.
  if (typeof shown.oncomplete === 'string') {
    shown.oncomplete = shown.oncomplete.includes('://')
      ? maskUrl(shown.oncomplete, WEBHOOK)
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

/** How maskUrl shows a webhook's URL: its path masked too. */
const WEBHOOK = { path: false };

export function maskUrl(raw: string, show = { path: true }): string {
  try {
    const url = new URL(raw);
    const query = url.search ? '?***' : '';
    const auth = url.username || url.password ? '***@' : '';
    const bare = url.pathname === '/' || url.pathname === '';
    const path = show.path || bare ? url.pathname : '/***';
    return `${url.protocol}//${auth}${url.host}${path}${query}`;
  } catch {
    return '***';
  }
}
