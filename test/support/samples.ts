/**
 * Sample values for any Thrift type of the schema, in the idiomatic representation the client uses:
 * every field populated (unions: the `pick`-th field), sets as arrays, i64 near the safe limits.
 */
import { SCHEMA } from '../../src/gen/schema.js';
import type { TypeRef } from '../../src/protocol/schema.js';

export function sampleOf(type: TypeRef, seed = 1): unknown {
  if (typeof type === 'string') {
    switch (type) {
      case 'bool': return seed % 2 === 1;
      case 'byte': return (seed * 7) % 127;
      case 'i16': return 1000 + seed;
      case 'i32': return 100_000 + seed;
      case 'i64': return seed % 2 === 1 ? Number.MAX_SAFE_INTEGER - seed : 1_700_000_000_000 + seed;
      case 'double': return seed + 0.25;
      case 'string': return `s${seed}-ünï "q"`;
      case 'binary': return new Uint8Array([0, 255, seed & 255, 10]);
    }
  }
  if ('enum' in type) {
    const values = Object.values(SCHEMA.enums[type.enum]!);
    return values[seed % values.length];
  }
  if ('struct' in type) return sampleStruct(type.struct, seed);
  if ('list' in type) return [sampleOf(type.list, seed), sampleOf(type.list, seed + 1)];
  if ('set' in type) return [sampleOf(type.set, seed), sampleOf(type.set, seed + 1)];
  return { [String(sampleOf(type.map[0], seed))]: sampleOf(type.map[1], seed) };
}

export function sampleStruct(name: string, seed = 1, pick = 0): Record<string, unknown> {
  const def = SCHEMA.structs[name]!;
  const out: Record<string, unknown> = {};
  const fields = def.kind === 'union' ? [def.fields[(pick + seed) % def.fields.length]!] : def.fields;
  for (const f of fields) out[f.name] = sampleOf(f.type, seed + f.id);
  return out;
}
