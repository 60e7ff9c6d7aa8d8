/**
 * Turns the schema into JavaScript source once per codec and protocol direction, then into functions
 * with `new Function`: each struct becomes straight-line code with its field ids, wire types and
 * checks inlined, which is what makes decoding a 10,000-task reply cheap (see test/bench/codec.mjs).
 * Containers get one helper each. Everything the generated code calls lives in runtime.ts.
 */
import type { StructDef, TypeRef } from './schema.js';
import { typeName } from './schema.js';
import * as runtime from './runtime.js';

export interface CompileInput {
  /** Keyed by the name callers look them up by. */
  readonly structs: Readonly<Record<string, StructDef>>;
  readonly enums: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Binary wire type ids (TType). */
export const WIRE = { bool: 2, byte: 3, double: 4, i16: 6, i32: 8, i64: 10, string: 11, binary: 11, struct: 12, map: 13, set: 14, list: 15 } as const;

export function wireType(t: TypeRef): number {
  if (typeof t === 'string') return WIRE[t];
  if ('enum' in t) return WIRE.i32;
  if ('struct' in t) return WIRE.struct;
  if ('list' in t) return WIRE.list;
  if ('set' in t) return WIRE.set;
  return WIRE.map;
}

/** TJSON's type tags. */
export function jsonTag(t: TypeRef): string {
  if (typeof t === 'string') {
    return { bool: 'tf', byte: 'i8', i16: 'i16', i32: 'i32', i64: 'i64', double: 'dbl', string: 'str', binary: 'str' }[t];
  }
  if ('enum' in t) return 'i32';
  if ('struct' in t) return 'rec';
  if ('list' in t) return 'lst';
  if ('set' in t) return 'set';
  return 'map';
}

/** Map keys that can be plain-object keys; any other key type decodes into a JS Map. */
export function isScalarKey(t: TypeRef): boolean {
  return typeof t === 'string' ? t !== 'binary' && t !== 'double' : 'enum' in t;
}

export const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  byte: [-128, 127],
  i16: [-32768, 32767],
  i32: [-2147483648, 2147483647],
  i64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const q = (s: string): string => JSON.stringify(s);

/**
 * Shared state of one compilation: struct function names, container helpers (deduplicated by
 * type), and the constants (enum sets, defaults) the generated code refers to by index.
 */
export class Unit {
  readonly names = new Map<string, string>();
  private readonly helpers = new Map<string, string>();
  private readonly helperCode: string[] = [];
  readonly consts: unknown[] = [];

  constructor(
    readonly input: CompileInput,
    private readonly prefix: string,
  ) {
    Object.keys(input.structs).forEach((k, i) => this.names.set(k, `${prefix}${i}`));
  }

  fn(structKey: string): string {
    const name = this.names.get(structKey);
    if (name === undefined) throw new Error(`schema refers to unknown struct ${structKey}`);
    return name;
  }

  struct(t: { struct: string }): StructDef {
    const s = this.input.structs[t.struct];
    if (s === undefined) throw new Error(`schema refers to unknown struct ${t.struct}`);
    return s;
  }

  constant(value: unknown): string {
    this.consts.push(value);
    return `K[${this.consts.length - 1}]`;
  }

  enumValues(name: string): Readonly<Record<string, number>> {
    const e = this.input.enums[name];
    if (e === undefined) throw new Error(`schema refers to unknown enum ${name}`);
    return e;
  }

  /** Returns the name of the helper for a container type, generating it on first use. */
  helper(t: TypeRef, make: (name: string) => string): string {
    const key = typeName(t);
    let name = this.helpers.get(key);
    if (name === undefined) {
      name = `${this.prefix}c${this.helpers.size}`;
      this.helpers.set(key, name);
      this.helperCode.push(make(name));
    }
    return name;
  }

  /** Builds every struct function and returns them keyed like the input. */
  link(structCode: string[]): Record<string, (...args: never[]) => unknown> {
    const table = [...this.names].map(([k, fn]) => `${q(k)}: ${fn}`).join(',\n');
    const source = `"use strict";\n${structCode.join('\n')}\n${this.helperCode.join('\n')}\nreturn {\n${table}\n};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const factory = new Function('R', 'K', source) as (r: typeof runtime, k: unknown[]) => Record<string, (...args: never[]) => unknown>;
    return factory(runtime, this.consts);
  }
}

/** `if (bad) throw ...` for an encode-side value check of a primitive or enum held in variable `v`. */
export function checkValue(unit: Unit, t: TypeRef, v: string): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'bool':
        return `if (typeof ${v} !== 'boolean') throw R.badType('bool', ${v});`;
      case 'byte':
        return `if (((${v} << 24) >> 24) !== ${v}) throw R.badType('byte (-128..127)', ${v});`;
      case 'i16':
        return `if (((${v} << 16) >> 16) !== ${v}) throw R.badType('i16 (-32768..32767)', ${v});`;
      case 'i32':
        return `if ((${v} | 0) !== ${v}) throw R.badType('i32', ${v});`;
      case 'i64':
        return `if (typeof ${v} !== 'number' || !Number.isSafeInteger(${v})) ${v} = R.checkI64(${v});`;
      case 'double':
        return `if (typeof ${v} !== 'number') throw R.badType('double', ${v});`;
      case 'string':
        return `if (typeof ${v} !== 'string') throw R.badType('string', ${v});`;
      case 'binary':
        return `if (!(${v} instanceof Uint8Array)) throw R.badType('binary (a Uint8Array or Buffer)', ${v});`;
    }
  }
  if ('enum' in t) {
    const values = unit.enumValues(t.enum);
    const set = unit.constant(new Set(Object.values(values)));
    const vals = unit.constant(values);
    return `if (!${set}.has(${v})) throw R.enumFault(${q(t.enum)}, ${vals}, ${v});`;
  }
  return '';
}

/** The encode-side container check; returns code that leaves an array of elements in `out`. */
export function containerElements(t: { list: TypeRef } | { set: TypeRef }, v: string, out: string): string {
  if ('list' in t) {
    return `if (!Array.isArray(${v})) throw R.badType(${q(`${typeName(t)} (an array)`)}, ${v});\nconst ${out} = ${v};`;
  }
  return `const ${out} = Array.isArray(${v}) ? ${v} : ${v} instanceof Set ? [...${v}] : undefined;
if (${out} === undefined) throw R.badType(${q(`${typeName(t)} (an array or Set)`)}, ${v});`;
}

export function structCheck(s: StructDef, v: string): string {
  return `if (typeof ${v} !== 'object' || ${v} === null || Array.isArray(${v}) || ${v} instanceof Set || ${v} instanceof Map) throw R.badType(${q(`${s.name} (an object)`)}, ${v});`;
}

/** Post-field checks shared by the encoders: union arity. Uses `n` (fields written) and `v`. */
export function encodeUnionCheck(s: StructDef, v: string): string {
  if (s.kind !== 'union') return '';
  return `if (n !== 1) { f = ''; throw R.unionFault(${JSON.stringify(s.fields.map((x) => x.name))}, ${v}, false); }`;
}

/** After decoding into `o`: union arity (uses `n`), required fields, IDL defaults. */
export function decodeEpilogue(unit: Unit, s: StructDef): string {
  const lines: string[] = [];
  if (s.kind === 'union') {
    lines.push(`if (n !== 1) throw R.unionFault(${JSON.stringify(s.fields.map((x) => x.name))}, o, true);`);
  }
  for (const field of s.fields) {
    const prop = `o[${q(field.name)}]`;
    if (field.req === 'required') {
      lines.push(`if (${prop} === undefined) throw R.at(R.missingRequired(true), ${q(field.name)});`);
    } else if (field.default !== undefined) {
      lines.push(`if (${prop} === undefined) ${prop} = R.cloneDefault(${unit.constant(field.default)});`);
    }
  }
  return lines.join('\n');
}

/** The object literal a decoder starts from: every field present (as undefined) so all objects of a struct share one shape. */
export function emptyObject(s: StructDef): string {
  return `{ ${s.fields.map((f) => `${q(f.name)}: undefined`).join(', ')} }`;
}

export { q };
