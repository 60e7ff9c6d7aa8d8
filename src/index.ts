/// <reference types="node" preserve="true" />
// The public types use Node's (Buffer, http.Agent, AbortSignal): a consumer needs @types/node, as with any Node library.
/**
 * aurora-ts: a client for Apache Aurora's scheduler API and a job model for custom executors and
 * Thermos. The local Aurora-compatible scheduler is `aurora-ts/scheduler` (its own entry, so that
 * importing the client loads none of it).
 */
export { AuroraClient, unwrap, type AuroraClientOptions, type CallOptions, type RpcMethods, type RpcOutput, type ThriftValue } from './client/client.js';
export { AuroraResponseError, responseInfo, type ResponseInfo } from './client/errors.js';
export {
  AuroraError,
  AuroraAbortError,
  AuroraAuthError,
  AuroraConfigError,
  AuroraDiscoveryError,
  AuroraHttpError,
  AuroraProtocolError,
  AuroraRangeError,
  AuroraTimeoutError,
  AuroraTransportError,
  AuroraValidationError,
  isAmbiguous,
  redact,
  type AuroraErrorKind,
  type AuroraErrorOptions,
} from './errors.js';
export * from './gen/types.js';
export type { AuroraApi, AuroraMethod } from './gen/api.js';
export { SCHEMA } from './gen/schema.js';
export {
  TApplicationExceptionType,
  ThriftMessageError,
  type ApiSchema,
  type FieldDef,
  type MethodDef,
  type PrimitiveType,
  type Requiredness,
  type ServiceDef,
  type StructDef,
  type TypeRef,
  type WireProtocol,
} from './protocol/index.js';
export {
  createHttpTransport,
  defaultShouldRetry,
  isReadOnlyMethod,
  type FetchInit,
  type FetchLike,
  type FetchResponse,
  type GetOptions,
  type GetReply,
  type HttpTransportOptions,
  type RetryInfo,
  type RetryOptions,
  type TlsOptions,
  type Transport,
  type TransportCall,
  type TransportEvent,
} from './transport/index.js';
export * from './job/index.js';
export * from './update/index.js';
export {
  ExecutorConfigError,
  loadExecutorConfig,
  parseExecutorConfig,
  THERMOS_EXECUTOR_NAME,
  type CustomExecutor,
  type ExecutorCatalog,
  type ExecutorCommand,
  type ExecutorEnvVar,
  type ExecutorResource,
  type ExecutorResourceType,
  type ExecutorUri,
  type ExecutorVolumeMount,
} from './executors/index.js';
export * from './waiters/index.js';
export * from './sla/index.js';
export {
  loadClusters,
  type Cluster,
  type ClusterPolicyOverrides,
  type Clusters,
  type Credentials,
  type LoadClustersOptions,
  type Netrc,
  type NetrcEntry,
} from './discovery/index.js';
export { resolveTransport, type ConnectOptions, type ConnectEvent } from './client/connect.js';
export {
  CLIENT_UPDATE_ID_KEY,
  createJobSafely,
  startJobUpdateSafely,
  type CreateJobOutcome,
  type SafeWriteClient,
  type SafeWriteEvent,
  type SafeWriteOptions,
  type StartUpdateOutcome,
} from './client/safe-writes.js';
export {
  followTaskFile,
  readTaskFile,
  TaskFileNotFoundError,
  TaskFiles,
  type TaskFileChunk,
  type TaskFileFollow,
  type TaskFileRead,
  type TaskFileSource,
  type TaskFilesOptions,
  type TaskRef,
} from './client/task-files.js';
// The builder is `JobUpdate`; Aurora's struct of the same name is exported as `ThriftJobUpdate`.
export { JobUpdate } from './update/index.js';
export type { JobUpdate as ThriftJobUpdate } from './gen/types.js';
