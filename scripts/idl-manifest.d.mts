// Types for scripts/idl-manifest.mjs (see the shape described at its top).

export type Requiredness = 'required' | 'optional' | 'default';

export interface ManifestField {
  id: number;
  name: string;
  /** Typedefs resolved: `i32`, `string`, `set<Resource>`, `map<string,i64>`, `list<i32>`, `JobKey`. */
  type: string;
  requiredness: Requiredness;
  /** Present only when the IDL gives a default; enum members as numbers. */
  default?: unknown;
}

export interface ManifestMethod {
  /** In declaration order (the order of the generated client's parameters). */
  args: ManifestField[];
  returns: string;
  oneway: boolean;
  throws: ManifestField[];
}

export interface Manifest {
  source?: { repo: string | null; commit: string | null; path: string | null; sha256: string };
  namespaces: Record<string, string>;
  typedefs: Record<string, string>;
  enums: Record<string, Record<string, number>>;
  consts: Record<string, { type: string; value: unknown }>;
  structs: Record<string, { kind: 'struct' | 'union' | 'exception'; fields: ManifestField[] }>;
  services: Record<string, { extends: string | null; methods: Record<string, ManifestMethod> }>;
}

export type TypeTree =
  | { kind: 'base' | 'named'; name: string }
  | { kind: 'list' | 'set'; elem: TypeTree }
  | { kind: 'map'; key: TypeTree; value: TypeTree };

export function addOptionalListSeparators(src: string): string;
export function manifestOfText(text: string): Manifest;
export function manifestOf(path: string): Manifest;
export function allMethods(manifest: Manifest, service: string): Array<[string, string]>;
export function parseTypeString(type: string): TypeTree;
export function diffManifests(expected: Manifest, actual: Manifest): string[];
export function manifestJson(manifest: Manifest): string;
