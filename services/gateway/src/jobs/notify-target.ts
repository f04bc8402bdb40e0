import { ApiError } from '@ingest/core';

export type NotifyTarget =
  | { kind: 'url'; value: string }
  | { kind: 'email'; value: string };

// One plain address: no display name, no list, no header tricks.
const LOCAL_PART = /[^\s@,;:<>()[\]"\\]+/.source;
const DOMAIN_LABEL = /[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/.source;
const EMAIL = new RegExp(
  `^${LOCAL_PART}@${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})+$`,
);

/** One email address, refused when it could carry more (SPEC §4). */
export function parseEmail(value: string, name = 'email'): string {
  if (/[\r\n]/.test(value) || value.length > 254 || !EMAIL.test(value)) {
    throw new ApiError(
      'invalid_address',
      `${name} must be one plain email address (no name, list or line break)`,
    );
  }
  return value;
}

/** `oncomplete`: an http(s) URL for a webhook, or one email address. */
export function parseNotifyTarget(value: string): NotifyTarget {
  if (/^https?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ApiError('invalid_address', 'oncomplete is not a valid URL');
    }
    if (url.username || url.password || /[\r\n\s]/.test(value)) {
      throw new ApiError(
        'invalid_address',
        'oncomplete URL must not hold credentials or spaces',
      );
    }
    return { kind: 'url', value: url.toString() };
  }
  return { kind: 'email', value: parseEmail(value, 'oncomplete') };
}
