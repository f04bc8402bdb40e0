import { domainToASCII } from 'node:url';

/**
 * The one shape of email address catalog-ingest takes and sends to: one
 * mailbox, no display name, no list, no comment, no control character.
 * The local part is plain ASCII (RFC 5322 dot-atom characters), since
 * an SMTP server without SMTPUTF8 refuses anything else, and the domain
 * is dotted LDH labels (an international domain in its xn-- form, which
 * asciiDomain makes of one given in Unicode). The
 * gateway refuses other addresses at the API (SPEC §4) and the notifier
 * checks again before an address reaches a header, with this same rule,
 * so nothing the API took is dropped later.
 */
const ATEXT = /[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]/.source;
// A dot-atom of at most 64 characters: no leading, trailing or double dot.
const LOCAL_PART = `(?=[^@]{1,64}@)${ATEXT}+(?:\\.${ATEXT}+)*`;
const DOMAIN_LABEL = /[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?/.source;
// The last label is a top-level domain, never all digits: `a@127.0.0.1`
// is an IP address posing as a domain, which a relay might deliver to.
const TOP_LABEL = `(?![0-9]+$)${DOMAIN_LABEL}`;
const MAILBOX = new RegExp(
  `^${LOCAL_PART}@${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*\\.${TOP_LABEL}$`,
);

const MAX_LENGTH = 254;

export function isSingleAddress(value: string): boolean {
  return value.length <= MAX_LENGTH && MAILBOX.test(value);
}

/**
 * The address with an international domain written in its ASCII
 * (xn--) form, as DNS and SMTP servers without SMTPUTF8 know it:
 * `jo@bücher.de` → `jo@xn--bcher-kva.de`. Anything else is returned as
 * it is, to be judged by isSingleAddress; so is a domain that has no
 * ASCII form or holds other ASCII than LDH and dots.
 */
export function asciiDomain(value: string): string {
  const at = value.lastIndexOf('@');
  const domain = value.slice(at + 1);
  if (at < 1 || /^[\x00-\x7f]*$/.test(domain)) return value;
  // The URL host rules under domainToASCII would drop a tab and decode
  // `%41` to `A`: ASCII outside a domain's letters, digits, `-` and `.`
  // is left for isSingleAddress to refuse, not rewritten.
  if (/(?![A-Za-z0-9.-])[\x00-\x7f]/.test(domain)) return value;
  const ascii = domainToASCII(domain);
  return ascii ? `${value.slice(0, at)}@${ascii}` : value;
}

/** `jane@example.com` → `j***@example.com`, for logs and the delivery log. */
export function maskAddress(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1 || !isSingleAddress(value)) return '[invalid address]';
  return `${value[0]}***${value.slice(at)}`;
}
