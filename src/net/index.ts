export { classifyAddress, isPublicAddress, type AddressClass } from './address-class.js';
export { guardedLookup, refusedLiteral, refusedTarget, resolveAll, PrivateTargetError, PRIVATE_TARGET } from './guarded-lookup.js';
export { fetchGuarded, DEFAULT_MAX_REDIRECTS, type GuardedFetchOptions, type GuardedResponse } from './guarded-fetch.js';
export { OutboundFetchError, type OutboundFetchReason } from './errors.js';
