/**
 * The shape of the runtime schema generated from thrift/api.thrift (src/gen/schema.ts).
 * The codecs walk it; the client derives its methods from it; nothing here is Aurora-specific.
 */

export type PrimitiveType = 'bool' | 'byte' | 'i16' | 'i32' | 'i64' | 'double' | 'string' | 'binary';

export type TypeRef =
  | PrimitiveType
  | { readonly enum: string }
  | { readonly struct: string }
  | { readonly list: TypeRef }
  | { readonly set: TypeRef }
  | { readonly map: readonly [TypeRef, TypeRef] };

/** `default` is Thrift's "default requiredness": written when set, may be absent on the wire. */
export type Requiredness = 'required' | 'optional' | 'default';

export interface FieldDef {
  readonly id: number;
  readonly name: string;
  readonly type: TypeRef;
  readonly req: Requiredness;
  /** IDL default value, in the idiomatic representation (applied on decode when the field is absent). */
  readonly default?: unknown;
  /**
   * Aurora always sets this field in its replies (thrift/api-notes.mjs says where): decoding a reply
   * without it throws AuroraProtocolError. Calls and single structs are decoded without this check.
   */
  readonly always?: boolean;
}

export interface StructDef {
  readonly name: string;
  readonly kind: 'struct' | 'union' | 'exception';
  readonly fields: readonly FieldDef[];
}

export interface MethodDef {
  readonly name: string;
  /** The service that declares the method (ReadOnlyScheduler, AuroraSchedulerManager or AuroraAdmin). */
  readonly service: string;
  readonly args: readonly FieldDef[];
  /** The field of the `Result` union that carries this method's payload, if it has one. */
  readonly result: string | undefined;
  /** Aurora may answer OK without the result (startJobUpdate: "Job is unchanged by proposed update."). */
  readonly resultOptional?: boolean;
}

export interface ServiceDef {
  readonly name: string;
  readonly extends: string | undefined;
  readonly methods: readonly string[];
}

export interface ApiSchema {
  readonly structs: Readonly<Record<string, StructDef>>;
  readonly enums: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly methods: Readonly<Record<string, MethodDef>>;
  readonly services: readonly ServiceDef[];
}

/** Renders a type the way the IDL spells it, e.g. `set<Resource>`; used in error messages and manifests. */
export function typeName(t: TypeRef): string {
  if (typeof t === 'string') return t;
  if ('enum' in t) return t.enum;
  if ('struct' in t) return t.struct;
  if ('list' in t) return `list<${typeName(t.list)}>`;
  if ('set' in t) return `set<${typeName(t.set)}>`;
  return `map<${typeName(t.map[0])},${typeName(t.map[1])}>`;
}
