/**
 * The Mesos v1 messages of the executor API (the agent's side and the executor kit's): the schema of
 * src/mesos/mesos.proto and executor.proto (Apache Mesos' names, numbers, types and labels, checked
 * by test/scheduler/executor-api-manifest.test.ts), loaded from the descriptor `npm run gen`
 * compiles them into, with protobufjs' light build (no .proto parser: the kit starts faster), and
 * the conversions to and from Mesos' JSON form.
 */
import protobuf from 'protobufjs/light.js';
import { jsonPreScan, JSON_SCAN_OK } from '../util/json-scan.js';
import { MESOS_DESCRIPTOR } from './descriptor.js';

/** Both files in one root, with Mesos' snake_case names, which its JSON uses too. */
export const mesosRoot: protobuf.Root = protobuf.Root.fromJSON(MESOS_DESCRIPTOR);

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

/** Nesting past which protobufValuesWithin stops counting (the decoder's own failure answers such a body). */
const MAX_COUNTED_DEPTH = 100;

/**
 * Whether decoding `bytes` as `type` builds at most `limit` values, found by walking the wire format
 * without building anything: each field occurrence counts one (a message, a repeated element, a
 * scalar), a packed repeated field one per byte at most; unknown fields are skipped uncounted, as the
 * decoder skips them. An empty embedded message is two bytes on the wire and an object once decoded,
 * so bytes alone do not bound what a body builds. Read with protobufjs' own Reader; input it cannot walk
 * (truncated, groups, nesting past 100) is left to the decoder, which refuses it.
 */
export function protobufValuesWithin(type: protobuf.Type, bytes: Uint8Array, limit: number): boolean {
  const reader = protobuf.Reader.create(bytes);
  let budget = limit;
  // False once past the limit; true when the rest is the decoder's to judge.
  const walk = (t: protobuf.Type, end: number, depth: number): boolean => {
    while (reader.pos < end) {
      const key = reader.uint32();
      const field = t.fieldsById[key >>> 3];
      const wire = key & 7;
      if (wire === 3 || wire === 4) return true;
      if (wire !== 2) {
        reader.skipType(wire);
        if (field !== undefined && --budget < 0) return false;
        continue;
      }
      const length = reader.uint32();
      const stop = reader.pos + length;
      if (stop > end) return true;
      const inner = field?.resolvedType;
      // A map's entries are not its value type's messages: counted below, as one value each.
      if (field !== undefined && inner instanceof protobuf.Type && !field.map) {
        if (--budget < 0) return false;
        if (depth >= MAX_COUNTED_DEPTH) return true;
        if (!walk(inner, stop, depth + 1)) return false;
        if (reader.pos !== stop) return true;
        continue;
      }
      // A string or bytes value counts one; packed scalars at most one per byte.
      const packed = field !== undefined && field.repeated && field.type !== 'string' && field.type !== 'bytes';
      if (field !== undefined && (budget -= packed ? length : 1) < 0) return false;
      reader.pos = stop;
    }
    return true;
  };
  try {
    return walk(type, bytes.length, 0);
  } catch {
    return true; // truncated: the decoder refuses it
  }
}

/**
 * Decodes a message into Mesos' JSON form, refusing one that lacks a required field, with the texts
 * Mesos' executor endpoint answers 400 with (protobuf's parse gives no detail there). `maxValues`
 * bounds what the body may build (JSON values, or protobufValuesWithin's count), checked first.
 */
export function decodeMessage(type: protobuf.Type, body: Uint8Array, media: MediaType, maxValues = Infinity): MesosJson {
  let message: protobuf.Message;
  if (maxValues !== Infinity) {
    const within = media === APPLICATION_JSON ? jsonPreScan(body, Infinity, maxValues) === JSON_SCAN_OK : protobufValuesWithin(type, body, maxValues);
    if (!within) throw new MesosDecodeError(`Failed to parse body into ${type.name}: more than ${maxValues} values`);
  }
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
