/** Generates TBinaryProtocol encoders (into a BinaryWriter) and decoders (from a BinaryReader). */
import type { StructDef, TypeRef } from './schema.js';
import { typeName } from './schema.js';
import type { BinaryReader, BinaryWriter } from './runtime.js';
import { MIN_SIZE } from './runtime.js';
import {
  type CompileInput,
  INT_RANGE,
  LazyCompiler,
  type Unit,
  checkValue,
  containerElements,
  decodeEpilogue,
  emptyObject,
  encodeUnionCheck,
  isScalarKey,
  q,
  structCheck,
  wireType,
} from './compile.js';

export type BinaryEncoder = (w: BinaryWriter, value: unknown) => void;
export type BinaryDecoder = (r: BinaryReader, depth: number) => unknown;

// ------------------------------------------------------------------------------------------ encode

function writeValue(unit: Unit, t: TypeRef, v: string): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'bool':
        return `w.u8(${v} ? 1 : 0);`;
      case 'byte':
        return `w.u8(${v} & 255);`;
      case 'i16':
        return `w.i16(${v});`;
      case 'i32':
        return `w.i32(${v});`;
      case 'i64':
        return `w.i64(${v});`;
      case 'double':
        return `w.dbl(${v});`;
      case 'string':
        return `w.str(${v});`;
      case 'binary':
        return `w.bin(${v});`;
    }
  }
  if ('enum' in t) return `w.i32(${v});`;
  if ('struct' in t) return `${unit.fn(t.struct)}(w, ${v});`;
  return `${encodeHelper(unit, t)}(w, ${v});`;
}

/** Check then write: the code for one value held in the `let` variable `v`. */
function encodeValue(unit: Unit, t: TypeRef, v: string): string {
  return `${checkValue(unit, t, v)}\n${writeValue(unit, t, v)}`;
}

/** Object keys arrive as strings: turn them back into the key type before checking. */
function keyFromObject(t: TypeRef, k: string): string {
  if (typeof t === 'string' && t in INT_RANGE) {
    const [lo, hi] = INT_RANGE[t]!;
    return `if (typeof ${k} === 'string') ${k} = R.intKey(${k}, ${lo}, ${hi}, ${q(t)}, false);`;
  }
  if (typeof t !== 'string' && 'enum' in t) {
    return `if (typeof ${k} === 'string') ${k} = R.intKey(${k}, -2147483648, 2147483647, ${q(t.enum)}, false);`;
  }
  if (t === 'bool') return `if (${k} === 'true') ${k} = true; else if (${k} === 'false') ${k} = false;`;
  return '';
}

function encodeHelper(unit: Unit, t: TypeRef): string {
  return unit.helper(t, (name) => {
    if (typeof t === 'object' && 'map' in t) {
      const [kt, vt] = t.map;
      return `function ${name}(w, v) {
const m = R.mapEntries(v);
if (m === undefined) throw R.badType(${q(`${typeName(t)} (an object or Map)`)}, v);
w.u8(${wireType(kt)}); w.u8(${wireType(vt)}); w.i32(m.length);
for (let i = 0; i < m.length; i++) {
let k = m[i][0], e = m[i][1];
${keyFromObject(kt, 'k')}
${encodeValue(unit, kt, 'k')}
${encodeValue(unit, vt, 'e')}
}
}`;
    }
    const elem = typeof t === 'object' && 'list' in t ? t.list : (t as { set: TypeRef }).set;
    return `function ${name}(w, v) {
${containerElements(t as { list: TypeRef }, 'v', 'a')}
w.u8(${wireType(elem)}); w.i32(a.length);
for (let i = 0; i < a.length; i++) {
let e = a[i];
${encodeValue(unit, elem, 'e')}
}
}`;
  });
}

function encodeStructCode(unit: Unit, key: string, s: StructDef): string {
  const fields = s.fields.map((field) => {
    const missing = field.req === 'required' ? ` else throw R.missingRequired(false);` : '';
    return `f = ${q(field.name)}; x = v[${q(field.name)}];
if (x !== undefined && x !== null) {
${checkValue(unit, field.type, 'x')}
w.fh(${wireType(field.type)}, ${field.id});
${writeValue(unit, field.type, 'x')}
n++;
}${missing}`;
  });
  return `function ${unit.fn(key)}(w, v) {
if (v instanceof R.EncodedOnce) return R.writeEncodedOnce(w, v, ${q(key)}, 'binary', ${unit.fn(key)});
${structCheck(s, 'v')}
let f = '', x, n = 0;
try {
${fields.join('\n')}
${encodeUnionCheck(s, 'v')}
} catch (e) { throw R.at(e, f); }
w.u8(0);
}`;
}

// ------------------------------------------------------------------------------------------ decode

function readValue(unit: Unit, t: TypeRef, depth: string): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'bool':
        return 'r.bool()';
      case 'byte':
        return '((r.u8() << 24) >> 24)';
      case 'i16':
        return 'r.i16()';
      case 'i32':
        return 'r.i32()';
      case 'i64':
        return 'r.i64()';
      case 'double':
        return 'r.dbl()';
      case 'string':
        return 'r.str()';
      case 'binary':
        return 'r.bin()';
    }
  }
  if ('enum' in t) return 'r.i32()';
  if ('struct' in t) return `${unit.fn(t.struct)}(r, ${depth} + 1)`;
  return `${decodeHelper(unit, t)}(r, ${depth} + 1)`;
}

function minSize(t: TypeRef): number {
  return MIN_SIZE[wireType(t)] ?? 1;
}

function decodeHelper(unit: Unit, t: TypeRef): string {
  return unit.helper(t, (name) => {
    if (typeof t === 'object' && 'map' in t) {
      const [kt, vt] = t.map;
      const scalar = isScalarKey(kt);
      return `function ${name}(r, depth) {
if (depth > r.maxDepth) throw r.depthFault();
const kt = r.u8(), vt = r.u8(), n = r.i32();
r.checkCount(n, ${minSize(kt) + minSize(vt)});
r.spend(n);
r.elemType(kt, ${wireType(kt)}, n); r.elemType(vt, ${wireType(vt)}, n);
const o = ${scalar ? '{}' : 'new Map()'};
for (let i = 0; i < n; i++) {
const k = ${readValue(unit, kt, 'depth')};
${scalar ? `R.setKey(o, '' + k, ${readValue(unit, vt, 'depth')});` : `o.set(k, ${readValue(unit, vt, 'depth')});`}
}
return o;
}`;
    }
    const elem = typeof t === 'object' && 'list' in t ? t.list : (t as { set: TypeRef }).set;
    return `function ${name}(r, depth) {
if (depth > r.maxDepth) throw r.depthFault();
const et = r.u8(), n = r.i32();
r.checkCount(n, ${minSize(elem)});
${typeof elem === 'object' && 'struct' in elem ? '' : 'r.spend(n);\n'}r.elemType(et, ${wireType(elem)}, n);
const a = [];
for (let i = 0; i < n; i++) a.push(${readValue(unit, elem, 'depth')});
return a;
}`;
  });
}

function decodeStructCode(unit: Unit, key: string, s: StructDef, reply: boolean): string {
  const cases = s.fields.map(
    (field) => `case ${field.id}: f = ${q(field.name)};
if (t === ${wireType(field.type)}) { o[${q(field.name)}] = ${readValue(unit, field.type, 'depth')}; n++; } else r.skip(t, depth);
break;`,
  );
  return `function ${unit.fn(key)}(r, depth) {
if (depth > r.maxDepth) throw r.depthFault();
r.spend(1);
const o = ${emptyObject(s)};
let f = '', n = 0;
try {
for (;;) {
const t = r.u8();
if (t === 0) break;
switch (r.i16()) {
${cases.join('\n')}
default: f = ''; r.skip(t, depth);
}
}
} catch (e) { throw R.at(e, f); }
${decodeEpilogue(unit, s, reply)}
return o;
}`;
}

/** Binary encoders of `input`'s structs, each compiled at its first use. */
export function compileBinaryEncoders(input: CompileInput): LazyCompiler<BinaryEncoder> {
  return new LazyCompiler<BinaryEncoder>(input, 'be', encodeStructCode);
}

/**
 * Binary decoders of `input`'s structs, each compiled at its first use. `reply`: for replies, which
 * also refuse a struct without a field Aurora always sets there (FieldDef.always).
 */
export function compileBinaryDecoders(input: CompileInput, reply = false): LazyCompiler<BinaryDecoder> {
  return new LazyCompiler<BinaryDecoder>(input, reply ? 'bdr' : 'bd', (unit, key, s) => decodeStructCode(unit, key, s, reply));
}
