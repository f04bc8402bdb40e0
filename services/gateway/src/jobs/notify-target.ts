import { ApiError, asciiDomain, isSingleAddress } from '@ingest/core';
import { literalRefusal } from '@ingest/net';
import type { Params } from '../http/params';

export type NotifyTarget =
  | { kind: 'url'; value: string }
  | { kind: 'email'; value: string };

/**
 * One email address, refused when it could carry more (SPEC §4). An
 * international domain is kept in its ASCII (xn--) form.
 */
export function parseEmail(value: string, name = 'email'): string {
  const address = asciiDomain(value);
  if (!isSingleAddress(address)) {
    throw new ApiError(
      'invalid_address',
      `${name} must be one plain email address (an ASCII name before ` +
        'the @; no display name, list or line break)',
    );
  }
  return address;
}

/**
 * `oncomplete`: an http(s) URL for a webhook, or one email address. A
 * URL whose host is a private or loopback IP address is refused here
 * unless `allowPrivateUrls` (INGEST_ALLOW_PRIVATE_URLS) says otherwise:
 * the notifier would refuse to send to it (SPEC §5), and the client
 * would hear of it only once the job completed. A name that resolves to
 * such an address is refused by the notifier, at delivery.
 */
export function parseNotifyTarget(
  value: string,
  allowPrivateUrls = true,
): NotifyTarget {
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
    const refusal = literalRefusal(url.toString(), {
      allowPrivate: allowPrivateUrls,
      prefix: 'oncomplete URL refused',
    });
    if (refusal) throw new ApiError('url_not_allowed', refusal.message);
    return { kind: 'url', value: url.toString() };
  }
  // `ftp://…`, `mailto:…`: a client that meant a URL is told which ones
  // are taken rather than that its text is no email address.
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !isSingleAddress(value)) {
    throw new ApiError(
      'invalid_address',
      'oncomplete URL must be http or https (or give one email address)',
    );
  }
  // `127.0.0.1:9999/hook`, `hooks.example.com/x`: a URL without its
  // scheme, which was told only that it is no email address.
  if (!value.includes('@')) {
    throw new ApiError(
      'invalid_address',
      'oncomplete must be a URL starting with http:// or https://, or one ' +
        'email address',
    );
  }
  return { kind: 'email', value: parseEmail(value, 'oncomplete') };
}

/**
 * The `oncomplete` parameter, checked; undefined when absent or blank.
 * A line break anywhere, even at the end where trimming would hide it,
 * is refused: SPEC §4 refuses addresses with CR/LF.
 */
export function readNotifyTarget(
  params: Params,
  allowPrivateUrls = true,
): string | undefined {
  const value = untrimmed(params, 'oncomplete');
  return value ? parseNotifyTarget(value, allowPrivateUrls).value : undefined;
}

/** An email parameter (`createJob`'s `email`), checked like `oncomplete`. */
export function readEmail(params: Params, name: string): string | undefined {
  const value = untrimmed(params, name);
  return value ? parseEmail(value, name) : undefined;
}

function untrimmed(params: Params, name: string): string | undefined {
  const raw = params.values.get(name);
  if (raw !== undefined && /[\r\n]/.test(raw)) {
    throw new ApiError(
      'invalid_address',
      `${name} must not hold a line break`,
    );
  }
  return raw?.trim() || undefined;
}
