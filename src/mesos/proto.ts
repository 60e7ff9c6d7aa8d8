/**
 * The Mesos v1 messages of the executor API (the agent's side and the executor kit's), as protobuf
 * schema text, with Apache Mesos' own names, field numbers, types and labels (include/mesos/v1/mesos.proto and
 * include/mesos/v1/executor/executor.proto; test/scheduler/executor-api-manifest.test.ts checks
 * them against a manifest read from those files). Only the messages and fields this project sends
 * or reads are here: protobuf skips unknown fields, so an executor sending more is still understood.
 * Kept as text in a module (not a .proto file beside it) so the built package needs no copy step.
 */
import protobuf from 'protobufjs';

const MESOS_V1_PROTO = `
syntax = "proto2";
package mesos.v1;

message FrameworkID { required string value = 1; }
message AgentID { required string value = 1; }
message TaskID { required string value = 1; }
message ExecutorID { required string value = 1; }
message ContainerID {
  required string value = 1;
  optional ContainerID parent = 2;
}
message DurationInfo { required int64 nanoseconds = 1; }

message FrameworkInfo {
  required string user = 1;
  required string name = 2;
  optional FrameworkID id = 3;
  optional double failover_timeout = 4;
  optional bool checkpoint = 5;
  optional string role = 6;
  optional string hostname = 7;
  optional string principal = 8;
  optional string webui_url = 9;
}

message Value {
  enum Type {
    SCALAR = 0;
    RANGES = 1;
    SET = 2;
    TEXT = 3;
  }
  message Scalar { required double value = 1; }
  message Range {
    required uint64 begin = 1;
    required uint64 end = 2;
  }
  message Ranges { repeated Range range = 1; }
  message Set { repeated string item = 1; }
  message Text { required string value = 1; }
  required Type type = 1;
  optional Scalar scalar = 2;
  optional Ranges ranges = 3;
  optional Set set = 4;
  optional Text text = 5;
}

message Attribute {
  required string name = 1;
  required Value.Type type = 2;
  optional Value.Scalar scalar = 3;
  optional Value.Ranges ranges = 4;
  optional Value.Set set = 6;
  optional Value.Text text = 5;
}

message Resource {
  required string name = 1;
  required Value.Type type = 2;
  optional Value.Scalar scalar = 3;
  optional Value.Ranges ranges = 4;
  optional Value.Set set = 5;
  optional string role = 6;
}

message AgentInfo {
  required string hostname = 1;
  optional int32 port = 8;
  repeated Resource resources = 3;
  repeated Attribute attributes = 5;
  optional AgentID id = 6;
}

message Label {
  required string key = 1;
  optional string value = 2;
}
message Labels { repeated Label labels = 1; }

message Environment {
  message Variable {
    enum Type {
      UNKNOWN = 0;
      VALUE = 1;
      SECRET = 2;
    }
    required string name = 1;
    optional Type type = 3;
    optional string value = 2;
  }
  repeated Variable variables = 1;
}

message CommandInfo {
  message URI {
    required string value = 1;
    optional bool executable = 2;
    optional bool extract = 3;
    optional bool cache = 4;
    optional string output_file = 5;
  }
  repeated URI uris = 1;
  optional Environment environment = 2;
  optional bool shell = 6;
  optional string value = 3;
  repeated string arguments = 7;
  optional string user = 5;
}

message Port {
  required uint32 number = 1;
  optional string name = 2;
  optional string protocol = 3;
  optional DiscoveryInfo.Visibility visibility = 4;
  optional Labels labels = 5;
}
message Ports { repeated Port ports = 1; }

message DiscoveryInfo {
  enum Visibility {
    FRAMEWORK = 0;
    CLUSTER = 1;
    EXTERNAL = 2;
  }
  required Visibility visibility = 1;
  optional string name = 2;
  optional string environment = 3;
  optional string location = 4;
  optional string version = 5;
  optional Ports ports = 6;
  optional Labels labels = 7;
}

message ExecutorInfo {
  enum Type {
    UNKNOWN = 0;
    DEFAULT = 1;
    CUSTOM = 2;
  }
  optional Type type = 15;
  required ExecutorID executor_id = 1;
  optional FrameworkID framework_id = 8;
  optional CommandInfo command = 7;
  repeated Resource resources = 5;
  optional string name = 9;
  optional string source = 10;
  optional bytes data = 4;
  optional DiscoveryInfo discovery = 12;
  optional DurationInfo shutdown_grace_period = 13;
  optional Labels labels = 14;
}

message KillPolicy { optional DurationInfo grace_period = 1; }

message TaskInfo {
  required string name = 1;
  required TaskID task_id = 2;
  required AgentID agent_id = 3;
  repeated Resource resources = 4;
  optional ExecutorInfo executor = 5;
  optional CommandInfo command = 7;
  optional KillPolicy kill_policy = 12;
  optional bytes data = 6;
  optional Labels labels = 10;
  optional DiscoveryInfo discovery = 11;
}

enum TaskState {
  TASK_STAGING = 6;
  TASK_STARTING = 0;
  TASK_RUNNING = 1;
  TASK_KILLING = 8;
  TASK_FINISHED = 2;
  TASK_FAILED = 3;
  TASK_KILLED = 4;
  TASK_ERROR = 7;
  TASK_LOST = 5;
  TASK_DROPPED = 9;
  TASK_UNREACHABLE = 10;
  TASK_GONE = 11;
  TASK_GONE_BY_OPERATOR = 12;
  TASK_UNKNOWN = 13;
}

message TaskStatus {
  enum Source {
    SOURCE_MASTER = 0;
    SOURCE_AGENT = 1;
    SOURCE_EXECUTOR = 2;
  }
  enum Reason {
    REASON_COMMAND_EXECUTOR_FAILED = 0;
    REASON_CONTAINER_LAUNCH_FAILED = 21;
    REASON_CONTAINER_LIMITATION = 19;
    REASON_CONTAINER_LIMITATION_DISK = 20;
    REASON_CONTAINER_LIMITATION_MEMORY = 8;
    REASON_CONTAINER_PREEMPTED = 17;
    REASON_CONTAINER_UPDATE_FAILED = 22;
    REASON_MAX_COMPLETION_TIME_REACHED = 33;
    REASON_EXECUTOR_REGISTRATION_TIMEOUT = 23;
    REASON_EXECUTOR_REREGISTRATION_TIMEOUT = 24;
    REASON_EXECUTOR_TERMINATED = 1;
    REASON_EXECUTOR_UNREGISTERED = 2;
    REASON_FRAMEWORK_REMOVED = 3;
    REASON_GC_ERROR = 4;
    REASON_INVALID_FRAMEWORKID = 5;
    REASON_INVALID_OFFERS = 6;
    REASON_IO_SWITCHBOARD_EXITED = 27;
    REASON_MASTER_DISCONNECTED = 7;
    REASON_RECONCILIATION = 9;
    REASON_RESOURCES_UNKNOWN = 18;
    REASON_AGENT_DISCONNECTED = 10;
    REASON_AGENT_DRAINING = 34;
    REASON_AGENT_REMOVED = 11;
    REASON_AGENT_REMOVED_BY_OPERATOR = 31;
    REASON_AGENT_REREGISTERED = 32;
    REASON_AGENT_RESTARTED = 12;
    REASON_AGENT_UNKNOWN = 13;
    REASON_TASK_KILLED_DURING_LAUNCH = 30;
    REASON_TASK_CHECK_STATUS_UPDATED = 28;
    REASON_TASK_HEALTH_CHECK_STATUS_UPDATED = 29;
    REASON_TASK_GROUP_INVALID = 25;
    REASON_TASK_GROUP_UNAUTHORIZED = 26;
    REASON_TASK_INVALID = 14;
    REASON_TASK_UNAUTHORIZED = 15;
    REASON_TASK_UNKNOWN = 16;
  }
  required TaskID task_id = 1;
  required TaskState state = 2;
  optional string message = 4;
  optional Source source = 9;
  optional Reason reason = 10;
  optional bytes data = 3;
  optional AgentID agent_id = 5;
  optional ExecutorID executor_id = 7;
  optional double timestamp = 6;
  optional bytes uuid = 11;
  optional bool healthy = 8;
  optional Labels labels = 12;
}
`;

const MESOS_V1_EXECUTOR_PROTO = `
syntax = "proto2";
package mesos.v1.executor;

message Event {
  enum Type {
    UNKNOWN = 0;
    SUBSCRIBED = 1;
    LAUNCH = 2;
    LAUNCH_GROUP = 8;
    KILL = 3;
    ACKNOWLEDGED = 4;
    MESSAGE = 5;
    ERROR = 6;
    SHUTDOWN = 7;
    HEARTBEAT = 9;
  }
  message Subscribed {
    required mesos.v1.ExecutorInfo executor_info = 1;
    required mesos.v1.FrameworkInfo framework_info = 2;
    required mesos.v1.AgentInfo agent_info = 3;
    optional mesos.v1.ContainerID container_id = 4;
  }
  message Launch { required mesos.v1.TaskInfo task = 1; }
  message Kill {
    required mesos.v1.TaskID task_id = 1;
    optional mesos.v1.KillPolicy kill_policy = 2;
  }
  message Acknowledged {
    required mesos.v1.TaskID task_id = 1;
    required bytes uuid = 2;
  }
  message Message { required bytes data = 1; }
  message Error { required string message = 1; }
  optional Type type = 1;
  optional Subscribed subscribed = 2;
  optional Acknowledged acknowledged = 3;
  optional Launch launch = 4;
  optional Kill kill = 5;
  optional Message message = 6;
  optional Error error = 7;
}

message Call {
  enum Type {
    UNKNOWN = 0;
    SUBSCRIBE = 1;
    UPDATE = 2;
    MESSAGE = 3;
    HEARTBEAT = 4;
  }
  message Subscribe {
    repeated mesos.v1.TaskInfo unacknowledged_tasks = 1;
    repeated Update unacknowledged_updates = 2;
  }
  message Update { required mesos.v1.TaskStatus status = 1; }
  message Message { required bytes data = 2; }
  required mesos.v1.ExecutorID executor_id = 1;
  required mesos.v1.FrameworkID framework_id = 2;
  optional Type type = 3;
  optional Subscribe subscribe = 4;
  optional Update update = 5;
  optional Message message = 6;
}
`;

/** Both files in one root; `keepCase` keeps Mesos' snake_case names, which its JSON uses too. */
export const mesosRoot: protobuf.Root = (() => {
  const root = new protobuf.Root();
  protobuf.parse(MESOS_V1_PROTO, root, { keepCase: true });
  protobuf.parse(MESOS_V1_EXECUTOR_PROTO, root, { keepCase: true });
  root.resolveAll();
  return root;
})();

export const CallType = mesosRoot.lookupType('mesos.v1.executor.Call');
export const EventType = mesosRoot.lookupType('mesos.v1.executor.Event');
export const TaskInfoType = mesosRoot.lookupType('mesos.v1.TaskInfo');

/** The two media types Mesos speaks; it compares Content-Type to these as exact strings. */
export const APPLICATION_JSON = 'application/json';
export const APPLICATION_PROTOBUF = 'application/x-protobuf';
export type MediaType = typeof APPLICATION_JSON | typeof APPLICATION_PROTOBUF;

/**
 * A message as plain data in Mesos' JSON form: snake_case names, enums by name, 64-bit integers as
 * numbers, bytes as base64 strings, unset fields absent.
 */
export type MesosJson = { [key: string]: unknown };

const TO_JSON: protobuf.IConversionOptions = { enums: String, longs: Number, bytes: String, defaults: false, arrays: false };

/** Encodes a message given in Mesos' JSON form, in the media type asked for. */
export function encodeMessage(type: protobuf.Type, value: MesosJson, media: MediaType): Buffer {
  if (media === APPLICATION_JSON) return Buffer.from(JSON.stringify(type.toObject(type.fromObject(value), TO_JSON)));
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

/**
 * Decodes a message into Mesos' JSON form, refusing one that lacks a required field, with the texts
 * Mesos' executor endpoint answers 400 with (protobuf's parse gives no detail there).
 */
export function decodeMessage(type: protobuf.Type, body: Uint8Array, media: MediaType): MesosJson {
  let message: protobuf.Message;
  if (media === APPLICATION_JSON) {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch (err) {
      throw new MesosDecodeError(`Failed to parse body into JSON: ${(err as Error).message}`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new MesosDecodeError(`Failed to convert JSON into ${type.name} protobuf: Expecting a JSON object`);
    }
    try {
      message = type.fromObject(json as MesosJson);
    } catch (err) {
      throw new MesosDecodeError(`Failed to convert JSON into ${type.name} protobuf: ${(err as Error).message}`);
    }
    const value = type.toObject(message, TO_JSON) as MesosJson;
    const missing = missingRequired(type, value);
    if (missing.length > 0) throw new MesosDecodeError(`Failed to convert JSON into ${type.name} protobuf: Missing required fields: ${missing.join(', ')}`);
    return value;
  }
  try {
    // protobufjs refuses a missing required field here, as protobuf's ParseFromString does.
    message = type.decode(body);
  } catch {
    throw new MesosDecodeError(`Failed to parse body into ${type.name} protobuf`);
  }
  return type.toObject(message, TO_JSON) as MesosJson;
}

/**
 * The required fields a decoded message lacks, as dotted paths (`update.status.uuid`), like
 * protobuf's InitializationErrorString that Mesos answers "Not initialized: ..." with.
 */
export function missingRequired(type: protobuf.Type, value: MesosJson, prefix = ''): string[] {
  const missing: string[] = [];
  for (const field of type.fieldsArray) {
    const present = value[field.name];
    if (present === undefined || present === null) {
      if (field.required) missing.push(prefix + field.name);
      continue;
    }
    const inner = field.resolvedType;
    if (!(inner instanceof protobuf.Type)) continue;
    const items = field.repeated && Array.isArray(present) ? present : [present];
    items.forEach((item, i) => {
      const at = field.repeated ? `${prefix}${field.name}[${i}].` : `${prefix}${field.name}.`;
      missing.push(...missingRequired(inner, item as MesosJson, at));
    });
  }
  return missing;
}

export class MesosDecodeError extends Error {
  override name = 'MesosDecodeError';
}
