import { addressPolicy } from './address-policy';
import { parseTarget } from './request-target';

/**
 * The refusal the address rule (SPEC §5) will give `url` whatever DNS
 * says: its host is an IP address that is not public. For a caller that
 * keeps a URL to request later (a webhook) and can tell its client at
 * once. A name is judged only when it is resolved, at request time, so
 * it gets undefined here, as does a URL safeRequest would refuse anyway.
 */
export function literalRefusal(
  url: string,
  options: { allowPrivate: boolean; prefix: string },
): Error | undefined {
  let target;
  try {
    target = parseTarget(url, options.prefix);
  } catch {
    return undefined;
  }
  if (target.literalAddress === undefined) return undefined;
  const check = addressPolicy(options, options.prefix);
  return check(target.literalAddress, target.hostname);
}
