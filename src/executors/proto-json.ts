/**
 * Reads snake_case protobuf JSON the way Aurora's scheduler does (Jackson + jackson-datatype-protobuf):
 * unknown fields are errors, required proto2 fields are enforced, JSON null leaves a field unset,
 * booleans and enums are read leniently. Each message is described by a small table (MessageSpec)
 * rather than a zod schema because Jackson's coercions and the messages below must be exact.
 */
import { ExecutorConfigError } from './error.js';

export type Path = readonly (string | number)[];

export type ScalarKind = 'string' | 'bool' | 'double' | 'uint64' | 'int64' | 'bytes';

export interface EnumSpec {
  enum: Readonly<Record<string, number>>;
}

export interface OpaqueSpec {
  /** A Mesos message aurora-ts keeps as written without looking inside: "Mesos ContainerInfo". */
  opaque: string;
}

export interface FieldSpec {
  type: ScalarKind | EnumSpec | OpaqueSpec | MessageSpec;
  repeated?: boolean;
  required?: boolean;
}

export interface MessageSpec {
  /** What the message is, for error messages: "Mesos Volume", "Mesos CommandInfo.URI". */
  name: string;
  fields: Readonly<Record<string, FieldSpec>>;
}

/** A decoded message: snake_case keys, only fields that were set, enums as names. */
export type Decoded = { [field: string]: unknown };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `[1].executor.command.uris[0].extract`; odd keys are quoted so the path stays on one line. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (IDENTIFIER.test(part) && part.length <= 60) out += out === '' ? part : `.${part}`;
    else out += `[${quote(part)}]`;
  }
  return out;
}

/** JSON-quoted and shortened, so user text can never break a one-line message. */
export function quote(text: string, max = 40): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
}

const BOOL_ALLOWED =
  'a boolean: true or false, an integer (0 is false, any other is true), or the string "true", "True", "false" or "False" ("" or "null" leave it unset)';

function allowed(spec: FieldSpec['type']): string {
  if (typeof spec === 'string') {
    switch (spec) {
      case 'string':
        return 'a string';
      case 'bool':
        return BOOL_ALLOWED;
      case 'double':
        return 'a finite number or a numeric string';
      case 'uint64':
        return 'a non-negative integer or a string of digits';
      case 'int64':
        return 'an integer or a string of digits';
      case 'bytes':
        return 'a base64 string';
    }
  }
  if ('enum' in spec) {
    const names = Object.keys(spec.enum);
    return `one of ${names.join(', ')} (or their numbers ${names.map((n) => spec.enum[n]).join(', ')})`;
  }
  if ('opaque' in spec) return `an object (${article(spec.opaque)})`;
  return `an object (${article(spec.name)})`;
}

/** What the elements of a repeated field must be: "strings", "Mesos Resource objects". */
function plural(spec: FieldSpec['type']): string {
  if (typeof spec === 'string') return spec === 'bool' ? 'booleans' : spec === 'double' ? 'numbers' : `${spec} values`.replace('string values', 'strings');
  if ('enum' in spec) return `values from ${Object.keys(spec.enum).join(', ')}`;
  return `${'opaque' in spec ? spec.opaque : spec.name} objects`;
}

function article(name: string): string {
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

function fail(path: Path, detail: string): never {
  throw new ExecutorConfigError(formatPath(path), detail);
}

function mismatch(path: Path, spec: FieldSpec['type'], value: unknown): never {
  fail(path, `must be ${allowed(spec)}; got ${describeValue(value)}`);
}

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const INTEGER = /^[+-]?[0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** Returns the decoded value, or undefined when the field is to be left unset. */
function readScalar(kind: ScalarKind, value: unknown, path: Path): unknown {
  switch (kind) {
    case 'string':
      if (typeof value === 'string') return value;
      return mismatch(path, kind, value);
    case 'bool': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number' && Number.isInteger(value)) return value !== 0;
      if (typeof value === 'string') {
        const text = value.trim();
        if (text === 'true' || text === 'True') return true;
        if (text === 'false' || text === 'False') return false;
        if (text === '' || text === 'null') return undefined;
      }
      return mismatch(path, kind, value);
    }
    case 'double': {
      let n: number | undefined;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string') {
        const text = value.trim();
        if (text === '') return undefined;
        if (DECIMAL.test(text)) n = Number(text);
      }
      if (n === undefined || !Number.isFinite(n)) return mismatch(path, kind, value);
      return n;
    }
    case 'uint64':
    case 'int64': {
      let n: number | undefined;
      if (typeof value === 'number' && Number.isInteger(value)) n = value;
      else if (typeof value === 'string' && INTEGER.test(value.trim())) n = Number(value.trim());
      if (n === undefined || (kind === 'uint64' && n < 0)) return mismatch(path, kind, value);
      if (!Number.isSafeInteger(n)) fail(path, `must be an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}; got ${describeValue(value)}`);
      return n;
    }
    case 'bytes':
      if (typeof value === 'string' && BASE64.test(value.replace(/-/g, '+').replace(/_/g, '/'))) return value;
      return mismatch(path, kind, value);
  }
}

function readEnum(spec: EnumSpec, value: unknown, path: Path): string {
  if (typeof value === 'string' && Object.hasOwn(spec.enum, value)) return value;
  if (typeof value === 'number') {
    const name = Object.keys(spec.enum).find((n) => spec.enum[n] === value);
    if (name !== undefined) return name;
  }
  const guess = typeof value === 'string' ? Object.keys(spec.enum).find((n) => n.toLowerCase() === value.trim().toLowerCase()) : undefined;
  fail(path, `must be ${allowed(spec)}; got ${describeValue(value)}${guess === undefined ? '' : `; did you mean "${guess}"?`}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readSingle(spec: FieldSpec['type'], value: unknown, path: Path): unknown {
  if (typeof spec === 'string') return readScalar(spec, value, path);
  if ('enum' in spec) return readEnum(spec, value, path);
  if (!isObject(value)) return mismatch(path, spec, value);
  if ('opaque' in spec) return value;
  return readMessage(spec, value, path);
}

/** Reads one field's JSON value; undefined means "unset". */
function readField(spec: FieldSpec, value: unknown, path: Path): unknown {
  if (value === null) return undefined;
  if (!spec.repeated) return readSingle(spec.type, value, path);
  if (!Array.isArray(value)) fail(path, `must be an array of ${plural(spec.type)}; got ${describeValue(value)}`);
  return value.map((item, i) => {
    const decoded = item === null ? undefined : readSingle(spec.type, item, [...path, i]);
    // Jackson cannot add an unset element to a repeated field.
    if (decoded === undefined) mismatch([...path, i], spec.type, item);
    return decoded;
  });
}

export function readMessage(spec: MessageSpec, value: unknown, path: Path): Decoded {
  if (!isObject(value)) return mismatch(path, spec, value);
  const out: Decoded = {};
  for (const [key, item] of Object.entries(value)) {
    const field = Object.hasOwn(spec.fields, key) ? spec.fields[key] : undefined;
    if (field === undefined) fail([...path, key], unknownFieldDetail(spec, key));
    const decoded = readField(field, item, [...path, key]);
    if (decoded !== undefined) out[key] = decoded;
  }
  for (const [key, field] of Object.entries(spec.fields)) {
    if (field.required && out[key] === undefined) {
      fail([...path, key], `is required: ${article(spec.name)} needs ${key} (${allowed(field.type)})`);
    }
  }
  return out;
}

function unknownFieldDetail(spec: MessageSpec, key: string): string {
  const known = Object.keys(spec.fields);
  const guess = closestKey(key, known);
  const hint = guess === undefined ? '' : `; did you mean "${guess}"?`;
  return `unknown field ${quote(key)} in ${article(spec.name)}${hint} (allowed: ${known.join(', ')})`;
}

/** The known key a typo most likely meant: same after snake_casing, or within a small edit distance. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const norm = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]/g, '_')
    .toLowerCase();
  const exact = known.find((k) => k === norm || k.replace(/_/g, '') === norm.replace(/_/g, ''));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = norm.length <= 4 ? 1 : 2;
  for (const candidate of known) {
    const d = editDistance(norm, candidate);
    if (d <= bestDistance) {
      if (d < bestDistance || best === undefined) best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
