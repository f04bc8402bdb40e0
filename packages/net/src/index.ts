export { forbiddenReason, isForbiddenAddress } from './forbidden-address';
export {
  type ResolvedAddress,
  type Resolver,
  systemResolver,
} from './guarded-lookup';
export { formatBytes } from './human-units';
export { literalRefusal } from './literal-refusal';
export {
  NET_ERROR_CODES,
  NetError,
  type NetErrorCode,
} from './net-error';
export {
  safeRequest,
  type SafeRequestOptions,
  type SafeResponse,
} from './safe-request';
