// Sample idiomatic values generated from the schema: every field populated, unions on a chosen member.
import type { Response, Result } from '../../src/gen/types.js';
import type { ApiSchema, StructDef, TypeRef } from '../../src/protocol/schema.js';

export interface SampleOptions {
  /** Which member each union takes (index into its fields, modulo their count). */
  unionChoice?: number;
  /** Give sets as JS Sets instead of arrays. */
  setsAsSets?: boolean;
}

const I64S = [2 ** 53 - 1, -(2 ** 53 - 1), 1_700_000_000_123, -5, 0];
const STRINGS = ['plain', 'ünïcødé ✓ 𝄞', 'quote " backslash \\ newline \n tab \t', '', 'x'.repeat(70)];

export class Sampler {
  private n = 0;
  constructor(
    private readonly schema: ApiSchema,
    private readonly options: SampleOptions = {},
  ) {}

  private next(): number {
    return this.n++;
  }

  value(t: TypeRef, depth: number): unknown {
    const i = this.next();
    if (typeof t === 'string') {
      switch (t) {
        case 'bool':
          return i % 2 === 0;
        case 'byte':
          return [-128, 127, 7][i % 3];
        case 'i16':
          return [-32768, 32767, 300][i % 3];
        case 'i32':
          return [2147483647, -2147483648, 42, 0][i % 4];
        case 'i64':
          return I64S[i % I64S.length];
        case 'double':
          return [1.5, -0.25, 1e300, 3][i % 4];
        case 'string':
          return `${STRINGS[i % STRINGS.length]}#${i}`;
        case 'binary':
          return Buffer.from([0, 1, 2, 255, i & 255]);
      }
    }
    if ('enum' in t) {
      const values = Object.values(this.schema.enums[t.enum]!);
      return values[i % values.length];
    }
    if ('struct' in t) return this.struct(t.struct, depth + 1);
    if ('list' in t) return [this.value(t.list, depth + 1), this.value(t.list, depth + 1)];
    if ('set' in t) {
      const items = [this.value(t.set, depth + 1), this.value(t.set, depth + 1)];
      return this.options.setsAsSets ? new Set(items) : items;
    }
    const [k, v] = t.map;
    const out: Record<string, unknown> = {};
    for (let j = 0; j < 2; j++) out[String(this.value(k, depth + 1))] = this.value(v, depth + 1);
    return out;
  }

  /**
   * A sample of struct `name` typed as `T`, its type in src/gen/types.ts (same name): the schema the
   * sample is made from is the one those types are generated from, which the types cannot follow.
   */
  structOf<T>(name: string): T {
    return this.struct(name) as T;
  }

  /** A sample Response to `method`: its result on the member the schema names for the method, or unset. */
  response(method: string): Response {
    const response = this.structOf<Response>('Response');
    const field = this.schema.structs.Result!.fields.find((f) => f.name === this.schema.methods[method]!.result);
    if (field === undefined) delete response.result;
    else {
      const member: unknown = this.struct((field.type as { struct: string }).struct);
      // The member the schema names, so a Result; the types cannot follow a name looked up at run time.
      response.result = { [field.name]: member } as Result;
    }
    return response;
  }

  struct(name: string, depth = 0): Record<string, unknown> {
    const def: StructDef = this.schema.structs[name]!;
    const out: Record<string, unknown> = {};
    if (def.kind === 'union') {
      const field = def.fields[(this.options.unionChoice ?? 0) % def.fields.length]!;
      out[field.name] = this.value(field.type, depth);
      return out;
    }
    for (const f of def.fields) out[f.name] = this.value(f.type, depth);
    return out;
  }
}

/** What decoding gives back for a sample: Sets become arrays. */
export function normalize(v: unknown): unknown {
  if (v instanceof Set) return [...v].map(normalize);
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = normalize(x);
  return out;
}
