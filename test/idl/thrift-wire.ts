// Test helpers: sample values for manifest types, and a generic walker over
// Thrift binary-protocol bytes that checks field ids and wire types against a
// manifest without using any generated code to read them back.

import { type Manifest, type ManifestField, parseTypeString, type TypeTree } from '../../scripts/idl-manifest.mjs';

export type { Manifest, ManifestField, TypeTree };

/** Thrift wire type codes (TType). */
export const TType = {
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const;

const BASE_WIRE: Record<string, number> = {
  bool: TType.BOOL,
  i8: TType.BYTE,
  i16: TType.I16,
  i32: TType.I32,
  i64: TType.I64,
  double: TType.DOUBLE,
  string: TType.STRING,
  binary: TType.STRING,
};

export function typeTree(type: string): TypeTree {
  return parseTypeString(type);
}

/** The wire type a manifest type is encoded with (enums travel as i32). */
export function wireTypeOf(manifest: Manifest, t: TypeTree): number {
  switch (t.kind) {
    case 'base': {
      const w = BASE_WIRE[t.name];
      if (w === undefined) throw new Error(`no wire type for ${t.name}`);
      return w;
    }
    case 'named':
      if (manifest.enums[t.name]) return TType.I32;
      if (manifest.structs[t.name]) return TType.STRUCT;
      throw new Error(`unknown type ${t.name}`);
    case 'list':
      return TType.LIST;
    case 'set':
      return TType.SET;
    case 'map':
      return TType.MAP;
  }
}

/**
 * A plain sample value of a manifest type, as the generated constructors accept
 * it: every field of every struct set, one element per container.
 */
export function sampleValue(manifest: Manifest, t: TypeTree, makeI64: (n: number) => unknown): unknown {
  switch (t.kind) {
    case 'base':
      switch (t.name) {
        case 'bool':
          return true;
        case 'i8':
          return 7;
        case 'i16':
          return 300;
        case 'i32':
          return 70_000;
        case 'i64':
          return makeI64(5_000_000_000);
        case 'double':
          return 1.5;
        case 'string':
          return 'sample';
        case 'binary':
          return Buffer.from([1, 2, 3]);
        default:
          throw new Error(`no sample for ${t.name}`);
      }
    case 'named': {
      const e = manifest.enums[t.name];
      if (e) return Object.values(e)[0];
      return sampleStruct(manifest, t.name, makeI64);
    }
    case 'list':
    case 'set':
      return [sampleValue(manifest, t.elem, makeI64)];
    case 'map':
      return { [String(sampleValue(manifest, t.key, makeI64))]: sampleValue(manifest, t.value, makeI64) };
  }
}

export function sampleStruct(manifest: Manifest, name: string, makeI64: (n: number) => unknown): Record<string, unknown> {
  const struct = manifest.structs[name];
  if (!struct) throw new Error(`unknown struct ${name}`);
  const out: Record<string, unknown> = {};
  for (const f of struct.fields) out[f.name] = sampleValue(manifest, typeTree(f.type), makeI64);
  return out;
}

/** Reads Thrift binary protocol bytes without any schema of its own. */
export class BinaryReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }
  u8(): number {
    return this.buf.readUInt8(this.pos++);
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  string(): string {
    const len = this.i32();
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  skip(wire: number): void {
    switch (wire) {
      case TType.BOOL:
      case TType.BYTE:
        this.pos += 1;
        return;
      case TType.I16:
        this.pos += 2;
        return;
      case TType.I32:
        this.pos += 4;
        return;
      case TType.I64:
      case TType.DOUBLE:
        this.pos += 8;
        return;
      case TType.STRING: {
        const len = this.i32();
        this.pos += len;
        return;
      }
      case TType.STRUCT:
        for (let t = this.u8(); t !== TType.STOP; t = this.u8()) {
          this.i16();
          this.skip(t);
        }
        return;
      case TType.LIST:
      case TType.SET: {
        const elem = this.u8();
        const n = this.i32();
        for (let i = 0; i < n; i += 1) this.skip(elem);
        return;
      }
      case TType.MAP: {
        const k = this.u8();
        const v = this.u8();
        const n = this.i32();
        for (let i = 0; i < n; i += 1) {
          this.skip(k);
          this.skip(v);
        }
        return;
      }
      default:
        throw new Error(`unknown wire type ${wire} at byte ${this.pos}`);
    }
  }
}

/**
 * Walk one struct's bytes, checking every field header (type byte + i16 id)
 * against `fields`, recursing into nested structs and containers. Problems are
 * added to `problems` as `<label>.<word> <id> <name>: ...`.
 */
export function walkStruct(
  manifest: Manifest,
  r: BinaryReader,
  label: string,
  fields: ManifestField[],
  problems: Set<string>,
  word = 'field',
): void {
  const seen = new Set<number>();
  for (let wire = r.u8(); wire !== TType.STOP; wire = r.u8()) {
    const id = r.i16();
    seen.add(id);
    const f = fields.find((x) => x.id === id);
    if (!f) {
      problems.add(`${label}.${word} ${id}: written but not in the manifest`);
      r.skip(wire);
      continue;
    }
    const t = typeTree(f.type);
    const expected = wireTypeOf(manifest, t);
    if (wire !== expected) {
      problems.add(`${label}.${word} ${id} ${f.name}: wire type ${wire}, manifest type ${f.type} needs ${expected}`);
      r.skip(wire);
      continue;
    }
    walkValue(manifest, r, t, `${label}.${f.name}`, problems);
  }
  for (const f of fields) {
    if (!seen.has(f.id)) problems.add(`${label}.${word} ${f.id} ${f.name}: set but not written`);
  }
}

function walkValue(manifest: Manifest, r: BinaryReader, t: TypeTree, label: string, problems: Set<string>): void {
  switch (t.kind) {
    case 'base':
      r.skip(wireTypeOf(manifest, t));
      return;
    case 'named': {
      const struct = manifest.structs[t.name];
      if (struct) walkStruct(manifest, r, t.name, struct.fields, problems);
      else r.skip(TType.I32);
      return;
    }
    case 'list':
    case 'set': {
      const elem = r.u8();
      const n = r.i32();
      const expected = wireTypeOf(manifest, t.elem);
      if (elem !== expected) {
        problems.add(`${label}: element wire type ${elem}, expected ${expected}`);
        for (let i = 0; i < n; i += 1) r.skip(elem);
        return;
      }
      for (let i = 0; i < n; i += 1) walkValue(manifest, r, t.elem, label, problems);
      return;
    }
    case 'map': {
      const k = r.u8();
      const v = r.u8();
      const n = r.i32();
      const ek = wireTypeOf(manifest, t.key);
      const ev = wireTypeOf(manifest, t.value);
      if (k !== ek || v !== ev) {
        problems.add(`${label}: map wire types ${k}/${v}, expected ${ek}/${ev}`);
        for (let i = 0; i < n; i += 1) {
          r.skip(k);
          r.skip(v);
        }
        return;
      }
      for (let i = 0; i < n; i += 1) {
        walkValue(manifest, r, t.key, label, problems);
        walkValue(manifest, r, t.value, label, problems);
      }
      return;
    }
  }
}
