/**
 * Test helpers for the golden tests: Debian's /usr/bin/python3 with python3-thrift, an independent
 * Thrift implementation, and a set-order-insensitive view of Aurora values.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SCHEMA } from '../../src/gen/schema.js';
import type { TypeRef } from '../../src/protocol/index.js';

/** Debian's interpreter: the python3 first on PATH may be another one without the thrift module. */
export const PYTHON = '/usr/bin/python3';
export const GOLDEN_DIR = fileURLToPath(new URL('.', import.meta.url));
/** The repository's IDL, proven wire-identical to Apache Aurora's by test/idl. */
export const API_THRIFT = fileURLToPath(new URL('../../thrift/api.thrift', import.meta.url));

/** Throws (so the tests fail, not skip) when the independent implementation is missing. */
export function requirePythonThrift(): void {
  const r = spawnSync(PYTHON, ['-c', 'import thrift.protocol.TJSONProtocol, thrift.transport.THttpClient'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import the thrift module (${r.error?.message ?? r.stderr.trim()}). ` +
        'The golden tests need Debian\'s python3-thrift: run `npm test` (it installs it) or `sudo apt-get install -y python3-thrift`.',
    );
  }
  const c = spawnSync('thrift', ['--version'], { encoding: 'utf8' });
  if (c.error !== undefined || c.status !== 0) {
    throw new Error('the Apache Thrift compiler (`thrift`) is missing: install thrift-compiler (`npm test` installs it).');
  }
}

/** Runs a script of this folder with /usr/bin/python3; a non-zero exit throws with its stderr. */
export function runPython(script: string, args: string[], timeoutMs = 20_000): string {
  const r = spawnSync(PYTHON, [`${GOLDEN_DIR}${script}`, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`${script} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  return r.stdout;
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** `value` of IDL type `type` with every set (at any depth) sorted, so sets compare unordered. */
export function unorderedSets(type: TypeRef, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (typeof type === 'string' || 'enum' in type) return value;
  if ('list' in type) return (value as unknown[]).map((v) => unorderedSets(type.list, v));
  if ('set' in type) {
    const items = (value instanceof Set ? [...value] : (value as unknown[])).map((v) => unorderedSets(type.set, v));
    return items.sort((a, b) => (stable(a) < stable(b) ? -1 : stable(a) > stable(b) ? 1 : 0));
  }
  if ('map' in type) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, unorderedSets(type.map[1], v)]));
  }
  return structUnordered(type.struct, value as Record<string, unknown>);
}

export function structUnordered(struct: string, value: Record<string, unknown>): Record<string, unknown> {
  const def = SCHEMA.structs[struct];
  if (def === undefined) throw new Error(`no struct ${struct}`);
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const field = def.fields.find((f) => f.name === name);
    // An unknown key stays as it is so toEqual reports it.
    out[name] = field === undefined ? v : unorderedSets(field.type, v);
  }
  return out;
}

/** Arguments of `method` (by IDL name) with sets sorted. */
export function argsUnordered(method: string, args: Record<string, unknown>): Record<string, unknown> {
  const def = SCHEMA.methods[method];
  if (def === undefined) throw new Error(`no method ${method}`);
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(args)) {
    if (v === undefined) continue;
    const field = def.args.find((f) => f.name === name);
    out[name] = field === undefined ? v : unorderedSets(field.type, v);
  }
  return out;
}
