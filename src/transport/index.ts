export { createHttpTransport, contentTypes } from './http.js';
export { defaultShouldRetry, isReadOnlyMethod, withRetry } from './retry.js';
export type { RetryInfo, RetryOptions } from './retry.js';
export { normalizeSchedulerUrl, parseSchedulerUrl } from './url.js';
export type { SchedulerUrl } from './url.js';
export type { FetchInit, FetchLike, FetchResponse, GetOptions, GetReply, HttpTransportOptions, TlsOptions, Transport, TransportCall, TransportEvent, WireProtocol } from './types.js';
