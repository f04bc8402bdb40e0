/**
 * The only shape of address the notifier puts into a header: one
 * mailbox, no display name, no comments, no control characters. The
 * gateway refuses worse already; this is the second line of defence.
 */
const MAILBOX = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

const MAX_LENGTH = 254;

export function isSingleAddress(value: string): boolean {
  return value.length <= MAX_LENGTH && MAILBOX.test(value);
}

/** `jane@example.com` → `j***@example.com`, for logs and the delivery log. */
export function maskAddress(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1 || !isSingleAddress(value)) return '[invalid address]';
  return `${value[0]}***${value.slice(at)}`;
}
