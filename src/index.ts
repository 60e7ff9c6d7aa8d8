/**
 * aurora-ts: a client for Apache Aurora's scheduler API, a job model for custom executors and
 * Thermos, and a local Aurora-compatible scheduler.
 */
export { AuroraClient, unwrap, type AuroraClientOptions, type CallOptions, type RpcOutput, type ThriftValue } from './client/client.js';
export { AuroraResponseError, responseInfo, type ResponseInfo } from './client/errors.js';
export {
  AuroraError,
  AuroraAbortError,
  AuroraAuthError,
  AuroraDiscoveryError,
  AuroraHttpError,
  AuroraProtocolError,
  AuroraRangeError,
  AuroraTimeoutError,
  AuroraTransportError,
  AuroraValidationError,
  redact,
  type AuroraErrorKind,
} from './errors.js';
export * from './gen/types.js';
export type { AuroraApi, AuroraMethod } from './gen/api.js';
export { SCHEMA } from './gen/schema.js';
export type { WireProtocol } from './protocol/index.js';
export { createHttpTransport, type HttpTransportOptions, type Transport, type TransportEvent } from './transport/index.js';
export { startScheduler, type RunningScheduler, type SchedulerOptions } from './scheduler/index.js';
