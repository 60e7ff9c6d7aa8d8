/**
 * Thrift's TJSONProtocol for the browser, driven by the same generated schema as the Node codecs
 * (src/gen/schema.ts). Those codecs need Buffer and compile decoders with `new Function`, which the UI's
 * Content-Security-Policy forbids; this walks the schema instead, for the few calls a read-only UI makes.
 */
import { SCHEMA } from '../../../gen/schema.js';
import type { FieldDef, TypeRef } from '../../../protocol/schema.js';

const TAGS: Record<string, string> = { bool: 'tf', byte: 'i8', i16: 'i16', i32: 'i32', i64: 'i64', double: 'dbl', string: 'str', binary: 'str' };

function tag(type: TypeRef): string {
  if (typeof type === 'string') return TAGS[type]!;
  if ('enum' in type) return 'i32';
  if ('struct' in type) return 'rec';
  if ('list' in type) return 'lst';
  if ('set' in type) return 'set';
  return 'map';
}

function encodeValue(type: TypeRef, value: unknown): unknown {
  if (typeof type === 'string') return type === 'bool' ? (value ? 1 : 0) : value;
  if ('enum' in type) return value;
  if ('struct' in type) return encodeStruct(type.struct, value as Record<string, unknown>);
  if ('list' in type || 'set' in type) {
    const element = 'list' in type ? type.list : type.set;
    const items = value as unknown[];
    return [tag(element), items.length, ...items.map((item) => encodeValue(element, item))];
  }
  const [k, v] = type.map;
  const entries = Object.entries(value as Record<string, unknown>);
  return [tag(k), tag(v), entries.length, Object.fromEntries(entries.map(([key, item]) => [key, encodeValue(v, item)]))];
}

function encodeFields(fields: readonly FieldDef[], value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const item = value[field.name];
    if (item !== undefined && item !== null) out[String(field.id)] = { [tag(field.type)]: encodeValue(field.type, item) };
  }
  return out;
}

function encodeStruct(name: string, value: Record<string, unknown>): Record<string, unknown> {
  return encodeFields(SCHEMA.structs[name]!.fields, value);
}

/** A CALL message, arguments by IDL name. */
export function encodeCall(method: string, seqid: number, args: Record<string, unknown>): string {
  const def = SCHEMA.methods[method];
  if (!def) throw new Error(`unknown method ${method}`);
  return JSON.stringify([1, method, 1, seqid, encodeFields(def.args, args)]);
}

function decodeValue(type: TypeRef, raw: unknown): unknown {
  if (typeof type === 'string') {
    if (type === 'bool') return raw === 1 || raw === true;
    if (type === 'string' || type === 'binary') return String(raw);
    return typeof raw === 'string' ? Number(raw) : raw;
  }
  if ('enum' in type) return Number(raw);
  if ('struct' in type) return decodeStruct(type.struct, raw as Record<string, Record<string, unknown>>);
  if ('list' in type || 'set' in type) {
    const element = 'list' in type ? type.list : type.set;
    return (raw as unknown[]).slice(2).map((item) => decodeValue(element, item));
  }
  const [k, v] = type.map;
  const entries = Object.entries((raw as unknown[])[3] as Record<string, unknown>);
  return Object.fromEntries(entries.map(([key, item]) => [String(decodeValue(k, key)), decodeValue(v, item)]));
}

const fieldsById = new Map<string, Map<string, FieldDef>>();

/** A struct's fields by wire id, built once per struct (replies repeat the same structs thousands of times). */
function fieldsOf(name: string): Map<string, FieldDef> {
  let fields = fieldsById.get(name);
  if (!fields) fieldsById.set(name, (fields = new Map(SCHEMA.structs[name]!.fields.map((f) => [String(f.id), f]))));
  return fields;
}

function decodeStruct(name: string, raw: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const fields = fieldsOf(name);
  const out: Record<string, unknown> = {};
  for (const id in raw) {
    const field = fields.get(id);
    if (!field) continue; // a field this schema does not know: skipped, as Thrift does
    const wrapped = raw[id]!;
    for (const tagName in wrapped) {
      out[field.name] = decodeValue(field.type, wrapped[tagName]);
      break;
    }
  }
  return out;
}

/** A REPLY's Response; an EXCEPTION message (or anything else) throws with its message. */
export function decodeReply(text: string): Record<string, unknown> {
  const message = JSON.parse(text) as unknown[];
  const type = message[2];
  const body = message[4] as Record<string, Record<string, unknown>>;
  if (type === 3) {
    // TApplicationException: field 1 is its message.
    throw new Error(String(body['1']?.str ?? 'the scheduler answered with an exception'));
  }
  const success = body['0'];
  if (type !== 2 || !success) throw new Error('the scheduler sent no Response');
  return decodeStruct('Response', Object.values(success)[0] as Record<string, Record<string, unknown>>);
}

/** The name of an enum's value, e.g. enumName('ScheduleStatus', 2) = 'RUNNING'. */
export function enumName(enumType: string, value: unknown): string {
  for (const [name, number] of Object.entries(SCHEMA.enums[enumType] ?? {})) if (number === value) return name;
  return String(value);
}

/** The field of the Result union a method's payload travels in. */
export function resultField(method: string): string | undefined {
  return SCHEMA.methods[method]?.result;
}
