const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

/**
 * The three date forms RFC 9110 §5.6.7 has recipients accept; the
 * groups are day, month, year, hour, minute, second (asctime: month
 * first). `Sun, 06 Nov 1994 08:49:37 GMT` is the one senders must use.
 */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * How long a receiver asked to wait, in ms, from its `Retry-After`
 * header (RFC 9110 §10.2.3): whole seconds, or an HTTP date in any of
 * its three forms. Undefined when the header is absent or not one of
 * those: the schedule decides.
 */
export function retryAfterMs(
  header: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Date.parse alone would take text such as `foo 1` for a day in 2001.
  const at = httpDateMs(value, nowMs);
  return at === undefined ? undefined : Math.max(0, at - nowMs);
}

/** An HTTP date in ms since the epoch; undefined if it is none. */
function httpDateMs(value: string, nowMs: number): number | undefined {
  let parts: [string, string, number, string, string, string];
  let match = IMF_FIXDATE.exec(value);
  if (match) {
    const [, day, month, year, h, m, s] = match;
    parts = [day, month, Number(year), h, m, s];
  } else if ((match = RFC_850.exec(value))) {
    const [, day, month, year, h, m, s] = match;
    parts = [day, month, twoDigitYear(Number(year), nowMs), h, m, s];
  } else if ((match = ASCTIME.exec(value))) {
    const [, month, day, h, m, s, year] = match;
    parts = [day.trim(), month, Number(year), h, m, s];
  } else {
    return undefined;
  }
  const [day, month, year, h, m, s] = parts;
  const at = Date.UTC(year, MONTHS.indexOf(month), Number(day), +h, +m, +s);
  // No 31 Feb, no 25:00: a date the calendar does not roll over.
  const back = new Date(at);
  const same =
    back.getUTCDate() === Number(day) &&
    back.getUTCHours() === +h &&
    back.getUTCMinutes() === +m &&
    back.getUTCSeconds() === +s;
  return same ? at : undefined;
}

/**
 * RFC 850's two-digit year: the year with those last digits that is not
 * more than 50 years ahead (RFC 9110 §5.6.7).
 */
function twoDigitYear(digits: number, nowMs: number): number {
  const now = new Date(nowMs).getUTCFullYear();
  const year = now - (now % 100) + digits;
  return year > now + 50 ? year - 100 : year;
}
