/**
 * Turns the schema into JavaScript source, a few structs at a time as they are first needed (see
 * LazyCompiler), then into functions with `new Function`: each struct becomes straight-line code
 * with its field ids, wire types and checks inlined, which is what makes decoding a 10,000-task reply
 * cheap (see test/bench/codec.mjs).
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

type StructFn = (...args: never[]) => unknown;

/**
 * The struct functions of one protocol direction, compiled when first asked for. Asking for a struct
 * compiles it together with every struct it reaches that is not compiled yet, except the struct
 * variants of unions: those compile at their first use. A call that reaches only a few structs (most
 * calls' arguments; a reply's one Result variant) compiles only those, so a short-lived process, such
 * as one CLI command, does not pay for the whole schema.
 */
export class LazyCompiler<F extends StructFn> {
  private readonly compiled = new Map<string, F>();

  constructor(
    readonly input: CompileInput,
    private readonly prefix: string,
    private readonly structCode: (unit: Unit, key: string, s: StructDef) => string,
  ) {}

  /** The function for struct `key`, compiling it (and what it reaches) on first use. */
  get(key: string): F {
    const done = this.compiled.get(key);
    if (done !== undefined) return done;
    const members = this.reach(key);
    const unit = new Unit(this.input, this.prefix, members, this);
    const fns = unit.link(members.map((k) => this.structCode(unit, k, unit.struct({ struct: k }))));
    for (const k of members) this.compiled.set(k, fns[k] as F);
    return fns[key] as F;
  }

  /** Whether `key` is compiled already (a unit then calls it instead of compiling it again). */
  has(key: string): boolean {
    return this.compiled.has(key);
  }

  /** `root` and the structs it reaches that are not compiled yet, not looking into unions' fields. */
  private reach(root: string): string[] {
    const found = new Set<string>([root]);
    const visit = (t: TypeRef): void => {
      if (typeof t === 'string' || 'enum' in t) return;
      if ('struct' in t) {
        if (!found.has(t.struct) && !this.compiled.has(t.struct)) {
          found.add(t.struct);
          const s = this.input.structs[t.struct];
          if (s === undefined) throw new Error(`schema refers to unknown struct ${t.struct}`);
          if (s.kind !== 'union') for (const f of s.fields) visit(f.type);
        }
        return;
      }
      if ('list' in t) visit(t.list);
      else if ('set' in t) visit(t.set);
      else {
        visit(t.map[0]);
        visit(t.map[1]);
      }
    };
    const rootDef = this.input.structs[root];
    if (rootDef === undefined) throw new Error(`schema refers to unknown struct ${root}`);
    if (rootDef.kind !== 'union') for (const f of rootDef.fields) visit(f.type);
    return [...found];
  }
}

/**
 * Shared state of one compilation: struct function names, container helpers (deduplicated by
 * type), and the constants (enum sets, defaults, functions compiled earlier) the generated code
 * refers to by index.
 */
export class Unit {
  private readonly names = new Map<string, string>();
  private readonly outside = new Map<string, string>();
  private readonly helpers = new Map<string, string>();
  private readonly helperCode: string[] = [];
  readonly consts: unknown[] = [];

  constructor(
    readonly input: CompileInput,
    private readonly prefix: string,
    members: readonly string[],
    private readonly compiler: LazyCompiler<StructFn>,
  ) {
    members.forEach((k, i) => this.names.set(k, `${prefix}${i}`));
  }

  /**
   * How the generated code names struct `structKey`'s function: its own name when it is compiled in
   * this unit; otherwise a constant holding the function compiled earlier, or a stand-in that compiles
   * it at the first call and then puts the real function in its place.
   */
  fn(structKey: string): string {
    const name = this.names.get(structKey) ?? this.outside.get(structKey);
    if (name !== undefined) return name;
    if (this.input.structs[structKey] === undefined) throw new Error(`schema refers to unknown struct ${structKey}`);
    const compiler = this.compiler;
    let ref: string;
    if (compiler.has(structKey)) {
      ref = this.constant(compiler.get(structKey));
    } else {
      const consts = this.consts;
      const index = consts.length;
      consts.push((...args: never[]) => {
        const real = compiler.get(structKey);
        consts[index] = real;
        return real(...args);
      });
      ref = `K[${index}]`;
    }
    this.outside.set(structKey, ref);
    return ref;
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

  /** Builds this unit's struct functions and returns them keyed like the input. */
  link(structCode: string[]): Record<string, StructFn> {
    const table = [...this.names].map(([k, fn]) => `${q(k)}: ${fn}`).join(',\n');
    const source = `"use strict";\n${structCode.join('\n')}\n${this.helperCode.join('\n')}\nreturn {\n${table}\n};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const factory = new Function('R', 'K', source) as (r: typeof runtime, k: unknown[]) => Record<string, StructFn>;
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

/**
 * After decoding into `o`: union arity (uses `n`), required fields, IDL defaults, and in a reply
 * (`reply`) the fields Aurora always sets there (FieldDef.always).
 */
export function decodeEpilogue(unit: Unit, s: StructDef, reply: boolean): string {
  const lines: string[] = [];
  if (s.kind === 'union') {
    lines.push(`if (n !== 1) throw R.unionFault(${JSON.stringify(s.fields.map((x) => x.name))}, o, true);`);
  }
  for (const field of s.fields) {
    const prop = `o[${q(field.name)}]`;
    if (field.req === 'required') {
      lines.push(`if (${prop} === undefined) throw R.at(R.missingRequired(true), ${q(field.name)});`);
    } else if (reply && field.always === true) {
      lines.push(`if (${prop} === undefined) throw R.at(R.missingInReply(), ${q(field.name)});`);
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
