/**
 * Generates TJSONProtocol encoders (building the JSON text directly, strings via JSON.stringify) and
 * decoders (walking the tree JSON.parse built). TJSON keys fields by id: `{"1":{"str":"www"}}`;
 * lists are `["tag",count,...]`, maps `["ktag","vtag",count,{...}]`, bools 1/0.
 */
import type { StructDef, TypeRef } from './schema.js';
import { typeName } from './schema.js';
import type { JsonWriter } from './runtime.js';
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
  jsonTag,
  q,
  structCheck,
} from './compile.js';

export type JsonEncoder = (w: JsonWriter, value: unknown) => void;
export type JsonDecoder = (j: unknown, depth: number, limit: number) => unknown;

// ------------------------------------------------------------------------------------------ encode

/** Code writing the (already checked) value in variable `v` to the JsonWriter `w`. */
function writeJson(unit: Unit, t: TypeRef, v: string): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'bool':
        return `w.ch(${v} ? 49 : 48);`;
      case 'byte':
      case 'i16':
      case 'i32':
      case 'i64':
        return `w.int(${v});`;
      case 'double':
        return `w.raw(R.jsonDoubleOut(${v}));`;
      case 'string':
        return `w.str(${v});`;
      case 'binary':
        return `w.raw(R.jsonBinaryOut(${v}));`;
    }
  }
  if ('enum' in t) return `w.int(${v});`;
  if ('struct' in t) return `${unit.fn(t.struct)}(w, ${v});`;
  return `${encodeHelper(unit, t)}(w, ${v});`;
}

function writeKey(t: TypeRef, k: string): string {
  if (t === 'string') return `w.str(${k});`;
  if (t === 'bool') return `w.raw(${k} ? '"1"' : '"0"');`;
  return `w.raw('"' + ${k} + '"');`;
}

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
      if (!isScalarKey(kt)) {
        return `function ${name}(w, v) { throw R.badType(${q(`${typeName(t)}: TJSON cannot carry ${typeName(kt)} map keys`)}, v); }`;
      }
      return `function ${name}(w, v) {
const m = R.mapEntries(v);
if (m === undefined) throw R.badType(${q(`${typeName(t)} (an object or Map)`)}, v);
w.raw(${q(`["${jsonTag(kt)}","${jsonTag(vt)}",`)} + m.length + ',{');
for (let i = 0; i < m.length; i++) {
let k = m[i][0], e = m[i][1];
${keyFromObject(kt, 'k')}
${checkValue(unit, kt, 'k')}
${checkValue(unit, vt, 'e')}
if (i !== 0) w.ch(44);
${writeKey(kt, 'k')}
w.ch(58);
${writeJson(unit, vt, 'e')}
}
w.raw('}]');
}`;
    }
    const elem = typeof t === 'object' && 'list' in t ? t.list : (t as { set: TypeRef }).set;
    return `function ${name}(w, v) {
${containerElements(t as { list: TypeRef }, 'v', 'a')}
w.raw(${q(`["${jsonTag(elem)}",`)} + a.length);
for (let i = 0; i < a.length; i++) {
let e = a[i];
${checkValue(unit, elem, 'e')}
w.ch(44);
${writeJson(unit, elem, 'e')}
}
w.ch(93);
}`;
  });
}

function encodeStructCode(unit: Unit, key: string, s: StructDef): string {
  const fields = s.fields.map((field) => {
    const head = `"${field.id}":{"${jsonTag(field.type)}":`;
    const missing = field.req === 'required' ? ` else throw R.missingRequired(false);` : '';
    return `f = ${q(field.name)}; x = v[${q(field.name)}];
if (x !== undefined && x !== null) {
${checkValue(unit, field.type, 'x')}
w.raw(n === 0 ? ${q(head)} : ${q(`,${head}`)});
${writeJson(unit, field.type, 'x')}
w.ch(125);
n++;
}${missing}`;
  });
  return `function ${unit.fn(key)}(w, v) {
if (v instanceof R.EncodedOnce) return R.writeEncodedOnce(w, v, ${q(key)}, 'json', ${unit.fn(key)});
${structCheck(s, 'v')}
let f = '', x, n = 0;
w.ch(123);
try {
${fields.join('\n')}
${encodeUnionCheck(s, 'v')}
} catch (e) { throw R.at(e, f); }
w.ch(125);
}`;
}

// ------------------------------------------------------------------------------------------ decode

function readJson(unit: Unit, t: TypeRef, y: string, depth: string): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'bool':
        return `R.jbool(${y})`;
      case 'byte':
        return `(((${y} << 24) >> 24) === ${y} ? ${y} : R.jbad('byte', ${y}))`;
      case 'i16':
        return `(((${y} << 16) >> 16) === ${y} ? ${y} : R.jbad('i16', ${y}))`;
      case 'i32':
        return `((${y} | 0) === ${y} ? ${y} : R.jbad('i32', ${y}))`;
      case 'i64':
        // JSON.parse has already rounded anything past 2^53, to an unsafe integer: that is how it is caught.
        return `(Number.isSafeInteger(${y}) ? ${y} : R.jsonI64(${y}))`;
      case 'double':
        return `(typeof ${y} === 'number' ? ${y} : R.jsonDouble(${y}))`;
      case 'string':
        return `(typeof ${y} === 'string' ? ${y} : R.jbad('string', ${y}))`;
      case 'binary':
        return `R.jsonBinary(${y})`;
    }
  }
  if ('enum' in t) return `((${y} | 0) === ${y} ? ${y} : R.jbad(${q(`${t.enum} (an i32)`)}, ${y}))`;
  if ('struct' in t) return `${unit.fn(t.struct)}(${y}, ${depth} + 1, lim)`;
  return `${decodeHelper(unit, t)}(${y}, ${depth} + 1, lim)`;
}

function readKey(t: TypeRef, k: string): string {
  if (t === 'string') return k;
  if (t === 'bool') return `('' + R.jbool(${k} === 'true' || ${k} === '1' ? 1 : ${k} === 'false' || ${k} === '0' ? 0 : ${k}))`;
  if (typeof t === 'string' && t in INT_RANGE) {
    const [lo, hi] = INT_RANGE[t]!;
    return `('' + R.intKey(${k}, ${lo}, ${hi}, ${q(t)}, true))`;
  }
  return `('' + R.intKey(${k}, -2147483648, 2147483647, 'enum', true))`;
}

function decodeHelper(unit: Unit, t: TypeRef): string {
  return unit.helper(t, (name) => {
    if (typeof t === 'object' && 'map' in t) {
      const [kt, vt] = t.map;
      if (!isScalarKey(kt)) {
        return `function ${name}(y) { throw R.protocolFault(${q(`TJSON cannot carry ${typeName(kt)} map keys`)}); }`;
      }
      return `function ${name}(y, depth, lim) {
if (depth > lim) throw R.depthFault(lim);
const src = R.jsonMap(y, ${q(jsonTag(kt))}, ${q(jsonTag(vt))});
const o = {};
for (const k in src) {
const e = src[k];
R.setKey(o, ${readKey(kt, 'k')}, ${readJson(unit, vt, 'e', 'depth')});
}
return o;
}`;
    }
    const elem = typeof t === 'object' && 'list' in t ? t.list : (t as { set: TypeRef }).set;
    return `function ${name}(y, depth, lim) {
if (depth > lim) throw R.depthFault(lim);
R.jsonList(y, ${q(jsonTag(elem))});
const a = [];
for (let i = 2; i < y.length; i++) {
const e = y[i];
a.push(${readJson(unit, elem, 'e', 'depth')});
}
return a;
}`;
  });
}

function decodeStructCode(unit: Unit, key: string, s: StructDef, reply: boolean): string {
  const fields = s.fields.map(
    (field) => `x = j[${field.id}];
if (x !== undefined) {
f = ${q(field.name)};
if (typeof x !== 'object' || x === null) R.jsonField(x);
y = x[${q(jsonTag(field.type))}];
if (y !== undefined) { o[${q(field.name)}] = ${readJson(unit, field.type, 'y', 'depth')}; n++; }
}`,
  );
  return `function ${unit.fn(key)}(j, depth, lim) {
if (depth > lim) throw R.depthFault(lim);
if (typeof j !== 'object' || j === null || Array.isArray(j)) throw R.protocolFault('expected a struct (a JSON object), got ' + R.show(j));
const o = ${emptyObject(s)};
let f = '', n = 0, x, y;
try {
${fields.join('\n')}
} catch (e) { throw R.at(e, f); }
${decodeEpilogue(unit, s, reply)}
return o;
}`;
}

/** Json encoders of `input`'s structs, each compiled at its first use. */
export function compileJsonEncoders(input: CompileInput): LazyCompiler<JsonEncoder> {
  return new LazyCompiler<JsonEncoder>(input, 'je', encodeStructCode);
}

/**
 * Json decoders of `input`'s structs, each compiled at its first use. `reply`: for replies, which
 * also refuse a struct without a field Aurora always sets there (FieldDef.always).
 */
export function compileJsonDecoders(input: CompileInput, reply = false): LazyCompiler<JsonDecoder> {
  return new LazyCompiler<JsonDecoder>(input, reply ? 'jdr' : 'jd', (unit, key, s) => decodeStructCode(unit, key, s, reply));
}
