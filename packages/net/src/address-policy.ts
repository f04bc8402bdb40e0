import { forbiddenReason, isMetadataReason } from './forbidden-address';
import type { AddressCheck } from './guarded-lookup';
import { NetError } from './net-error';

export interface AddressPolicyOptions {
  /**
   * Lifts the address rule (INGEST_ALLOW_PRIVATE_URLS) but for cloud
   * metadata addresses.
   */
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
    if (options.allowAddress?.(address)) return undefined;

    const reason = forbiddenReason(address);
    if (reason === undefined) return undefined;
    // The switch is for servers of one's own (SPEC §6: private and
    // loopback addresses); none of them needs the host's cloud
    // credentials, and npm start turns it on by default.
    if (options.allowPrivate && !isMetadataReason(reason)) return undefined;
    const name = hostname === address ? '' : ` (${hostname})`;
    return new NetError(
      'address_not_allowed',
      `${prefix}: address ${address}${name} is ${reason}`,
    );
  };
}
