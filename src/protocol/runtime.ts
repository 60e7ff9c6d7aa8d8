/**
 * Helpers the compiled codecs call: the binary writer and reader, value checks, and `Fault`, the
 * cheap internal error that collects a field path on its way out and becomes an AuroraError at the
 * public boundary (errors.ts classes capture stack traces and redact; doing that per level would be waste).
 */
import { AuroraError, AuroraProtocolError, AuroraRangeError, AuroraValidationError } from '../errors.js';

export type FaultKind = 'protocol' | 'range' | 'validation';

export class Fault {
  readonly path: string[] = [];
  constructor(
    readonly kind: FaultKind,
    readonly detail: string,
  ) {}
}

/** Called from every compiled struct's catch block: prepends the field being handled. */
export function at(e: unknown, field: string): unknown {
  if (e instanceof Fault && field !== '') e.path.unshift(field);
  return e;
}

/** Turns whatever a compiled codec threw into the public error, naming `root.path.to.field`. */
export function toAuroraError(e: unknown, root: string, decoding: boolean, method?: string): Error {
  const options = method === undefined ? {} : { method };
  if (e instanceof Fault) {
    const path = [root, ...e.path].filter((p) => p !== '').join('.');
    if (e.kind === 'validation') return new AuroraValidationError(path, e.detail, options);
    const message = path ? `${path}: ${e.detail}` : e.detail;
    return e.kind === 'range' ? new AuroraRangeError(message, options) : new AuroraProtocolError(message, options);
  }
  if (e instanceof AuroraError) return e;
  if (!decoding) return e instanceof Error ? e : new Error(String(e));
  // A hostile shape the checks did not anticipate (e.g. a property read on JSON null): still a protocol error.
  const why = e instanceof Error ? e.message : String(e);
  return new AuroraProtocolError(`${root}: malformed input (${why})`, { ...options, cause: e });
}

export function protocolFault(detail: string): Fault {
  return new Fault('protocol', detail);
}

/** Renders a bad input value for a one-line message without dumping large objects. */
export function show(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
  if (typeof x === 'bigint') return `${x}n`;
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (x instanceof Set) return 'a Set';
  if (x instanceof Map) return 'a Map';
  if (x instanceof Uint8Array) return 'bytes';
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'function') return 'a function';
  return String(x);
}

export function badType(expected: string, x: unknown): Fault {
  return new Fault('validation', `expected ${expected}, got ${show(x)}`);
}

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const SAFE = 'Number.MIN_SAFE_INTEGER..Number.MAX_SAFE_INTEGER';

/** Validates an i64 input (a safe integer number or an in-range bigint) and returns it as a bigint or number. */
export function checkI64(x: unknown): number | bigint {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x)) return x;
    if (Number.isInteger(x)) throw new Fault('range', `i64 value ${x} is outside ${SAFE} and may already have been rounded; pass a bigint`);
    throw badType('i64 (an integer)', x);
  }
  if (typeof x === 'bigint') {
    if (x > I64_MAX || x < I64_MIN) throw new Fault('range', `i64 value ${x} does not fit in 64 bits`);
    return x;
  }
  throw badType('i64 (an integer)', x);
}

export function unsafeI64(hi: number, lo: number): Fault {
  const exact = (BigInt(hi) << 32n) + BigInt(lo);
  return new Fault('range', `i64 value ${exact} is outside ${SAFE}; refusing to round it`);
}

export function unsafeJsonI64(x: unknown): Fault {
  if (typeof x === 'number' && Number.isInteger(x)) {
    return new Fault('range', `i64 value ${x} (as parsed) is outside ${SAFE}; refusing to round it`);
  }
  return protocolFault(`expected an i64, got ${show(x)}`);
}

export function enumFault(name: string, values: Readonly<Record<string, number>>, x: unknown): Fault {
  const allowed = Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return badType(`${name} (one of ${allowed})`, x);
}

export function unionFault(names: readonly string[], value: Record<string, unknown>, decoding: boolean): Fault {
  const set = names.filter((n) => value[n] !== undefined && value[n] !== null);
  const got = set.length ? set.join(', ') : 'none';
  const detail = `a union needs exactly one field, got ${got}`;
  if (decoding) return protocolFault(detail);
  const others = Object.keys(value).filter((k) => !names.includes(k));
  return new Fault('validation', others.length && !set.length ? `${detail} (unknown keys: ${others.join(', ')}; allowed: ${names.join(', ')})` : detail);
}

/** A reply without a field Aurora always sets there (FieldDef.always): not a reply Aurora would send. */
export function missingInReply(): Fault {
  return new Fault('protocol', 'missing, though Aurora always sets it in replies');
}

export function missingRequired(decoding: boolean): Fault {
  return new Fault(decoding ? 'protocol' : 'validation', 'required field is missing');
}

/** A map's entries whether the caller passed a Map or a plain object. */
export function mapEntries(x: unknown): [unknown, unknown][] | undefined {
  if (x instanceof Map) return [...x.entries()];
  if (typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Set) && !(x instanceof Uint8Array)) {
    return Object.entries(x);
  }
  return undefined;
}

/** Stores a decoded map entry; `__proto__` as a key must become data, not a prototype. */
export function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Parses a map key that TJSON (and plain objects) carry as text back into an integer type. */
export function intKey(k: unknown, lo: number, hi: number, kind: string, decoding: boolean): number {
  const n = typeof k === 'number' ? k : typeof k === 'string' && /^-?\d+$/.test(k) ? Number(k) : NaN;
  if (!Number.isSafeInteger(n) || n < lo || n > hi) {
    throw decoding ? protocolFault(`expected a ${kind} map key, got ${show(k)}`) : badType(`${kind} map key`, k);
  }
  return n;
}

export function cloneDefault<T>(x: T): T {
  return structuredClone(x);
}

// ---------------------------------------------------------------------------------------------
// Binary: one growing buffer out, one bounds-checked cursor in.

/** Buffer's own UTF-8 entry points (what toString/write call after argument checks); present in every Node release. */
interface Utf8Buffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number): number;
}

const f64 = new Float64Array(1);
const f64bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One growing buffer that encoders write into: no per-value Buffers. */
export class ByteWriter {
  buf: Utf8Buffer;
  pos = 0;

  /** `start`: a buffer to write into (e.g. one kept from an earlier message), or the size of a new one. */
  constructor(start: number | Buffer = 4096) {
    this.buf = (typeof start === 'number' ? Buffer.allocUnsafe(start) : start) as Utf8Buffer;
  }

  /** The bytes written, in a Buffer of their own (so the writer's buffer may be written again). */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  protected grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size) as Utf8Buffer;
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Bytes already encoded (an EncodedOnce's). */
  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/**
 * A struct value whose encoding in each protocol is made once, at its first encode, and then written
 * as those bytes wherever the value is encoded again (a struct's encoding does not depend on where it
 * sits in a message). For values that do not change while their EncodedOnce is in use: the local
 * scheduler wraps each task of a reply in one that it drops when the task changes, so polling
 * clients do not pay for encoding the same tasks again and again. Placed where a value of `struct`
 * goes (its type is the value's, for the caller); anywhere else it is a type error.
 */
export class EncodedOnce<T = unknown> {
  binary: Buffer | undefined;
  json: Buffer | undefined;
  constructor(
    readonly struct: string,
    readonly value: T,
  ) {}
}

/** Called by a compiled struct encoder given an EncodedOnce: its kept bytes, or the encoding made (and kept) now. */
export function writeEncodedOnce(w: ByteWriter, e: EncodedOnce, struct: string, protocol: 'binary' | 'json', encode: (w: ByteWriter, v: unknown) => void): void {
  if (e.struct !== struct) throw new Fault('validation', `expected ${struct} (an object), got an EncodedOnce of ${e.struct}`);
  const kept = e[protocol];
  if (kept !== undefined) return w.bytes(kept);
  const start = w.pos;
  encode(w, e.value);
  e[protocol] = Buffer.from(w.buf.subarray(start, w.pos));
}

export class BinaryWriter extends ByteWriter {
  u8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  /** Field header: type byte and big-endian i16 id. */
  fh(type: number, id: number): void {
    if (this.pos + 3 > this.buf.length) this.grow(3);
    const b = this.buf;
    const p = this.pos;
    b[p] = type;
    b[p + 1] = id >> 8;
    b[p + 2] = id;
    this.pos = p + 3;
  }

  i16(v: number): void {
    if (this.pos + 2 > this.buf.length) this.grow(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  i32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  /** `v` was validated by checkI64. */
  i64(v: number | bigint): void {
    if (typeof v === 'bigint') {
      this.i32(Number(BigInt.asIntN(32, v >> 32n)));
      this.i32(Number(BigInt.asIntN(32, v)));
      return;
    }
    const lo = v % 4294967296;
    const hi = (v - lo) / 4294967296;
    // For negatives the remainder is negative: borrow one from the high word.
    if (lo < 0) {
      this.i32(hi - 1);
      this.i32(lo + 4294967296);
    } else {
      this.i32(hi);
      this.i32(lo);
    }
  }

  dbl(v: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    f64[0] = v;
    const b = this.buf;
    const p = this.pos;
    if (LITTLE_ENDIAN) {
      for (let i = 0; i < 8; i++) b[p + i] = f64bytes[7 - i]!;
    } else {
      for (let i = 0; i < 8; i++) b[p + i] = f64bytes[i]!;
    }
    this.pos = p + 8;
  }

  str(s: string): void {
    const n = s.length;
    // Worst case 3 bytes per UTF-16 unit; written first, length patched in after.
    if (this.pos + 4 + n * 3 > this.buf.length) this.grow(4 + n * 3);
    const b = this.buf;
    const start = this.pos + 4;
    let len: number;
    if (n < 48) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      len = i === n ? n : b.utf8Write(s, start);
    } else {
      len = b.utf8Write(s, start);
    }
    const p = this.pos;
    b[p] = len >>> 24;
    b[p + 1] = len >>> 16;
    b[p + 2] = len >>> 8;
    b[p + 3] = len;
    this.pos = start + len;
  }

  bin(v: Uint8Array): void {
    this.i32(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** TJSON text written as UTF-8 bytes as it is generated (string concatenation would build ropes for the GC). */
export class JsonWriter extends ByteWriter {
  /** ASCII text: the generated code's constant pieces and numbers. */
  raw(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  ch(c: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  /** Integers (i8..i64, enums): digits written directly, no temporary string for the common i32 range. */
  int(x: number | bigint): void {
    if (typeof x !== 'number' || x > 2147483647 || x < -2147483648) return this.raw(String(x));
    if (this.pos + 11 > this.buf.length) this.grow(11);
    const b = this.buf;
    let p = this.pos;
    if (x < 0) {
      b[p++] = 0x2d;
      x = -x;
    }
    if (x < 10) {
      b[p++] = 0x30 + x;
    } else {
      let digits = 1;
      for (let y = x; y >= 10; y = (y / 10) | 0) digits++;
      for (let i = p + digits - 1; i >= p; i--) {
        b[i] = 0x30 + (x % 10);
        x = (x / 10) | 0;
      }
      p += digits;
    }
    this.pos = p;
  }

  /** A JSON string literal. ASCII is escaped here, straight into the buffer; other text goes through JSON.stringify. */
  str(s: string): void {
    const n = s.length;
    // Long text: JSON.stringify is as fast, and reserving 6 bytes per character would be wasteful.
    if (n > 1024) return this.escaped(s);
    if (this.pos + n * 6 + 2 > this.buf.length) this.grow(n * 6 + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c < 0x80) {
        b[p++] = c;
      } else if (c === 0x22 || c === 0x5c) {
        b[p++] = 0x5c;
        b[p++] = c;
      } else if (c < 0x20) {
        b[p++] = 0x5c;
        const short = c === 8 ? 0x62 : c === 9 ? 0x74 : c === 10 ? 0x6e : c === 12 ? 0x66 : c === 13 ? 0x72 : 0;
        if (short) {
          b[p++] = short;
        } else {
          b[p++] = 0x75; // \u00XX
          b[p++] = 0x30;
          b[p++] = 0x30;
          b[p++] = HEX[c >> 4]!;
          b[p++] = HEX[c & 15]!;
        }
      } else {
        return this.escaped(s);
      }
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  /** Non-ASCII text: JSON.stringify escapes lone surrogates, utf8Write encodes the rest. */
  private escaped(s: string): void {
    const j = JSON.stringify(s);
    if (this.pos + j.length * 3 > this.buf.length) this.grow(j.length * 3);
    this.pos += this.buf.utf8Write(j, this.pos);
  }
}

/** Smallest encoding of one value of each wire type: bounds claimed element counts before allocating. */
export const MIN_SIZE: Readonly<Record<number, number>> = { 2: 1, 3: 1, 4: 8, 6: 2, 8: 4, 10: 8, 11: 4, 12: 1, 13: 6, 14: 5, 15: 5, 16: 16 };

const TYPE_NAMES: Readonly<Record<number, string>> = {
  2: 'bool', 3: 'byte', 4: 'double', 6: 'i16', 8: 'i32', 10: 'i64', 11: 'string', 12: 'struct', 13: 'map', 14: 'set', 15: 'list', 16: 'uuid',
};

export function wireTypeName(t: number): string {
  return TYPE_NAMES[t] ?? `unknown type ${t}`;
}

export class BinaryReader {
  readonly buf: Utf8Buffer;
  pos: number;
  readonly end: number;
  readonly maxDepth: number;
  private readonly maxValues: number;
  /** Structs and other container elements this message may still build (see spend). */
  private budget: number;
  private readonly dv: DataView;

  constructor(bytes: Uint8Array, maxDepth: number, maxValues = Infinity) {
    this.buf = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as Utf8Buffer;
    this.pos = 0;
    this.end = this.buf.length;
    this.maxDepth = maxDepth;
    this.maxValues = maxValues;
    this.budget = maxValues;
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /**
   * Counts `n` values against maxValues before they are built: a struct, or a container's elements
   * when they are not structs (which count themselves).
   *
   * Bytes alone do not bound what a message builds: an empty struct is one byte on the wire and an
   * object of ~150 bytes once decoded, so 16 MiB of them took 2.9 GB and 17 s.
   */
  spend(n: number): void {
    if ((this.budget -= n) < 0) throw valuesFault(this.maxValues);
  }

  truncated(n: number): Fault {
    return protocolFault(`truncated input: needed ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
  }

  u8(): number {
    if (this.pos >= this.end) throw this.truncated(1);
    return this.buf[this.pos++]!;
  }

  i16(): number {
    const p = this.pos;
    if (p + 2 > this.end) throw this.truncated(2);
    const b = this.buf;
    this.pos = p + 2;
    return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
  }

  i32(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw this.truncated(4);
    const b = this.buf;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  i64(): number {
    const p = this.pos;
    if (p + 8 > this.end) throw this.truncated(8);
    const b = this.buf;
    this.pos = p + 8;
    const hi = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    // Safe integers are exactly hi in [-2^21, 2^21) except -2^53 itself.
    if (hi >= 0x200000 || hi < -0x200000 || (hi === -0x200000 && lo === 0)) throw unsafeI64(hi, lo);
    return hi * 4294967296 + lo;
  }

  dbl(): number {
    const p = this.pos;
    if (p + 8 > this.end) throw this.truncated(8);
    this.pos = p + 8;
    return this.dv.getFloat64(p);
  }

  bool(): boolean {
    if (this.pos >= this.end) throw this.truncated(1);
    return this.buf[this.pos++] !== 0;
  }

  private len(): number {
    const n = this.i32();
    if (n < 0) throw protocolFault(`negative length ${n} at offset ${this.pos - 4}`);
    if (n > this.end - this.pos) throw protocolFault(`length ${n} at offset ${this.pos - 4} exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }

  str(): string {
    const n = this.len();
    const p = this.pos;
    const b = this.buf;
    this.pos = p + n;
    if (n < 24) {
      // Short ASCII strings: cheaper in JS than a call into the UTF-8 decoder.
      let s = '';
      for (let i = p; i < p + n; i++) {
        const c = b[i]!;
        if (c >= 0x80) return b.utf8Slice(p, p + n);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return b.utf8Slice(p, p + n);
  }

  bin(): Buffer {
    const n = this.len();
    const p = this.pos;
    this.pos = p + n;
    return Buffer.from(this.buf.subarray(p, p + n));
  }

  /** Reads a list/set header and validates the count against the bytes left. */
  listHeader(): [number, number] {
    const et = this.u8();
    const n = this.i32();
    this.checkCount(n, MIN_SIZE[et] ?? 1);
    return [et, n];
  }

  mapHeader(): [number, number, number] {
    const kt = this.u8();
    const vt = this.u8();
    const n = this.i32();
    this.checkCount(n, (MIN_SIZE[kt] ?? 1) + (MIN_SIZE[vt] ?? 1));
    return [kt, vt, n];
  }

  checkCount(n: number, min: number): void {
    if (n < 0) throw protocolFault(`negative element count ${n}`);
    if (n * min > this.end - this.pos) {
      throw protocolFault(`element count ${n} needs at least ${n * min} bytes, ${this.end - this.pos} left`);
    }
  }

  /** Element type check for a known container: empty containers may carry any type. */
  elemType(actual: number, expected: number, n: number): void {
    if (actual !== expected && n > 0) {
      throw protocolFault(`expected ${wireTypeName(expected)} elements, got ${wireTypeName(actual)}`);
    }
  }

  depthFault(): Fault {
    return protocolFault(`nesting deeper than the limit of ${this.maxDepth}`);
  }

  /** Skips one value of wire type `t` (an unknown field, or a known one with another type, as Apache does). */
  skip(t: number, depth: number): void {
    switch (t) {
      case 2:
      case 3:
        this.advance(1);
        return;
      case 6:
        this.advance(2);
        return;
      case 8:
        this.advance(4);
        return;
      case 4:
      case 10:
        this.advance(8);
        return;
      case 16:
        this.advance(16);
        return;
      case 11:
        this.advance(this.len());
        return;
      case 12: {
        if (depth >= this.maxDepth) throw this.depthFault();
        for (;;) {
          const ft = this.u8();
          if (ft === 0) return;
          this.advance(2);
          this.skip(ft, depth + 1);
        }
      }
      case 13: {
        if (depth >= this.maxDepth) throw this.depthFault();
        const [kt, vt, n] = this.mapHeader();
        for (let i = 0; i < n; i++) {
          this.skip(kt, depth + 1);
          this.skip(vt, depth + 1);
        }
        return;
      }
      case 14:
      case 15: {
        if (depth >= this.maxDepth) throw this.depthFault();
        const [et, n] = this.listHeader();
        for (let i = 0; i < n; i++) this.skip(et, depth + 1);
        return;
      }
      default:
        throw protocolFault(`invalid wire type ${t} at offset ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw this.truncated(n);
    this.pos += n;
  }
}

// ---------------------------------------------------------------------------------------------
// TJSON: values come from (and go to) the tree JSON.parse builds / the text we assemble.

export function depthFault(limit: number): Fault {
  return protocolFault(`nesting deeper than the limit of ${limit}`);
}

export function jbad(kind: string, y: unknown): never {
  throw protocolFault(`expected ${kind}, got ${show(y)}`);
}

export function jsonI64(y: unknown): never {
  throw unsafeJsonI64(y);
}

export function jbool(y: unknown): boolean {
  if (y === 1 || y === true) return true;
  if (y === 0 || y === false) return false;
  throw protocolFault(`expected a bool (1 or 0), got ${show(y)}`);
}

/** TJSON writes NaN and the infinities as strings. */
export function jsonDouble(y: unknown): number {
  if (typeof y === 'number') return y;
  if (y === 'NaN') return NaN;
  if (y === 'Infinity') return Infinity;
  if (y === '-Infinity') return -Infinity;
  throw protocolFault(`expected a double, got ${show(y)}`);
}

export function jsonDoubleOut(x: number): string {
  if (Number.isFinite(x)) return String(x);
  return x !== x ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"';
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function jsonBinary(y: unknown): Buffer {
  if (typeof y !== 'string' || !BASE64.test(y)) throw protocolFault(`expected base64 binary, got ${show(y)}`);
  return Buffer.from(y, 'base64');
}

export function jsonBinaryOut(x: Uint8Array): string {
  return `"${Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64')}"`;
}

export function jsonField(x: unknown): never {
  throw protocolFault(`expected a {"<type>": value} field, got ${show(x)}`);
}

/** Validates a TJSON list/set `[tag, count, ...elements]`; returns the count. */
export function jsonList(y: unknown, tag: string): number {
  if (!Array.isArray(y) || y.length < 2) throw protocolFault(`expected a TJSON list ["${tag}", count, ...], got ${show(y)}`);
  const n = y[1];
  if (n !== y.length - 2) throw protocolFault(`list claims ${show(n)} elements but has ${y.length - 2}`);
  if (y[0] !== tag && n > 0) throw protocolFault(`expected "${tag}" elements, got ${show(y[0])}`);
  return n;
}

/** Validates a TJSON map `[ktag, vtag, count, {...}]`; returns its entries object. */
export function jsonMap(y: unknown, ktag: string, vtag: string): Record<string, unknown> {
  if (!Array.isArray(y) || y.length < 3 || y.length > 4) throw protocolFault(`expected a TJSON map ["${ktag}", "${vtag}", count, {...}], got ${show(y)}`);
  const n = y[2];
  const entries: unknown = y.length === 4 ? y[3] : {};
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw protocolFault(`expected map entries as a JSON object, got ${show(entries)}`);
  const count = Object.keys(entries).length;
  if (n !== count) throw protocolFault(`map claims ${show(n)} entries but has ${count}`);
  if (n > 0 && (y[0] !== ktag || y[1] !== vtag)) throw protocolFault(`expected map<"${ktag}","${vtag}">, got map<${show(y[0])},${show(y[1])}>`);
  return entries as Record<string, unknown>;
}

/**
 * One live instance of each cursor class. V8 holds an object's hidden class weakly once no instance
 * is left; after a full GC it would be dropped and every compiled codec that inlined it deoptimized
 * (measured: a 7× slowdown on the next calls). Keeping one instance alive keeps the classes stable.
 */
export const keepShapesAlive: readonly object[] = [new BinaryWriter(16), new JsonWriter(16), new BinaryReader(new Uint8Array(0), 1)];

/** What a message may hold at most of structs and container elements (DecodeLimits.maxValues). */
export function valuesFault(limit: number): Fault {
  return protocolFault(`more values than the limit of ${limit} (structs, and the other elements of lists, sets and maps)`);
}

