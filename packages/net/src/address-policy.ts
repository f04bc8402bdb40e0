import { forbiddenReason } from './forbidden-address';
import type { AddressCheck } from './guarded-lookup';
import { NetError } from './net-error';

export interface AddressPolicyOptions {
  /** Lifts the whole address rule. */
  allowPrivate: boolean;
  /** Lets single addresses through that the rule would refuse. */
  allowAddress?: (address: string) => boolean;
}

/**
 * The address rule of SPEC §5 as one function, so literal hosts and
 * resolved names are judged, and worded, the same way.
 */
export function addressPolicy(
  options: AddressPolicyOptions,
  prefix: string,
): AddressCheck {
  return (address, hostname) => {
    if (options.allowPrivate) return undefined;
    if (options.allowAddress?.(address)) return undefined;

    const reason = forbiddenReason(address);
    if (reason === undefined) return undefined;
    const name = hostname === address ? '' : ` (${hostname})`;
    return new NetError(
      'address_not_allowed',
      `${prefix}: address ${address}${name} is ${reason}`,
    );
  };
}
