/** Mesos' v1 executor HTTP API as a local agent serves it, and the TaskInfo Aurora hands executors. */
export { APPLICATION_JSON, APPLICATION_PROTOBUF, CallType, decodeMessage, encodeMessage, EventType, mesosRoot, MesosDecodeError, missingRequired, TaskInfoType } from '../../../mesos/proto.js';
export type { MediaType, MesosJson } from '../../../mesos/proto.js';
export { encodeRecord, RecordIODecoder } from '../../../mesos/recordio.js';
export { authenticateExecutor, EXECUTOR_AUTHENTICATION_REALM, signExecutorToken, verifyExecutorClaims } from './auth.js';
export type { AuthRefusal, ExecutorClaims } from './auth.js';
export { accepts, DEFAULT_EXECUTOR_HEARTBEAT_MS, EXECUTOR_API_PATHS, ExecutorApi, validateCall } from './server.js';
export type { ExecutorApiListener, ExecutorApiOptions } from './server.js';
export { buildTaskInfo } from './task-info.js';
export type { TaskInfoContext } from './task-info.js';
export { auroraStatusOf } from './states.js';
export { stateCheckpoint } from './checkpoint.js';
export type { AgentCheckpoint, CheckpointedExecutor, CheckpointStore } from './checkpoint.js';
