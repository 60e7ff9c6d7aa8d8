/**
 * Mesos' v1 wire formats, shared by both ends of the executor API: the agent the local scheduler
 * serves (src/scheduler/agents/executor-api) and the executor kit (src/executor). Depends on
 * protobufjs only: nothing of the scheduler, the CLI or the Thrift layer.
 */
export { APPLICATION_JSON, APPLICATION_PROTOBUF, CallType, decodeMessage, encodeMessage, EventType, mesosRoot, MesosDecodeError, missingRequired, TaskInfoType } from './proto.js';
export type { MediaType, MesosJson } from './proto.js';
export { encodeRecord, RecordIODecoder } from './recordio.js';
