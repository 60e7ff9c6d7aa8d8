import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import { ExecutorConfigError, parseExecutorConfig } from '../../src/executors/index.js';
import { baseEntry } from './helpers.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const read = (rel: string): string => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8');
const bases: string[] = [
  read('../fixtures/executors/aurora-docs-sample.json'),
  read('../../examples/executors.json'),
  JSON.stringify([baseEntry()]),
];

/** Every (container, key) slot in a JSON tree, so a mutation can pick one by index. */
function slots(node: Json, out: { parent: Json[] | { [key: string]: Json }; key: string | number }[] = []) {
  if (Array.isArray(node)) node.forEach((child, i) => (out.push({ parent: node, key: i }), slots(child, out)));
  else if (node !== null && typeof node === 'object') {
    for (const [k, child] of Object.entries(node)) out.push({ parent: node, key: k }), slots(child, out);
  }
  return out;
}

const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'rename', 'inject'),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  text: fc.oneof(
    fc.string(),
    fc.constantFrom('', 'null', 'true', 'True', ' false ', 'FALSE', 'yes', '1e3', 'NaN', 'RO', 'SCALAR', 'AuroraExecutor', 'x', '__proto__'),
  ),
  name: fc.oneof(fc.string(), fc.constantFrom('camel', 'typo', '__proto__', 'constructor')),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(doc: Json, m: Mutation): void {
  const all = slots(doc);
  if (all.length === 0) return;
  const { parent, key } = all[m.at % all.length]!;
  const target = parent as Record<string | number, Json>;
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete target[key];
      break;
    case 'replace':
      target[key] = m.value;
      break;
    case 'inject':
      target[key] = m.text;
      break;
    case 'rename': {
      if (Array.isArray(parent)) break;
      const k = key as string;
      const to = m.name === 'camel' ? camel(k) : m.name === 'typo' ? k.slice(1) : m.name;
      const value = target[k]!;
      delete target[k];
      target[to] = value;
      break;
    }
  }
}

/** The only acceptable failure: one line, an ExecutorConfigError naming the field (or the whole file). */
function expectCleanOutcome(text: string): void {
  let error: unknown;
  try {
    const catalog = parseExecutorConfig(text);
    for (const e of catalog.executors) {
      expect(typeof e.name).toBe('string');
      expect(typeof e.taskPrefix).toBe('string');
      expect(Number.isFinite(e.overhead.cpus + e.overhead.ramMb + e.overhead.diskMb)).toBe(true);
    }
    return;
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(AuroraValidationError);
  expect(error).toBeInstanceOf(ExecutorConfigError);
  const err = error as ExecutorConfigError;
  expect(err.message).not.toMatch(/[\n\r]/);
  if (err.field === '') expect(err.detail).toMatch(/^(invalid JSON at line \d+, column \d+: |the executor settings must be a JSON array)/);
  else expect(err.message).toBe(`${err.field}: ${err.detail}`);
}

describe('fuzz: mutated valid configs fail only with one-line validation errors', () => {
  test('structural mutations (delete, replace, rename, inject)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 4 }), (base, ms) => {
        const doc = JSON.parse(base) as Json;
        for (const m of ms) mutate(doc, m);
        expectCleanOutcome(JSON.stringify(doc));
      }),
      { numRuns: 400 },
    );
  });

  test('text mutations (truncate, insert characters)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.nat(), fc.string({ maxLength: 3 }), fc.boolean(), (base, at, insert, truncate) => {
        const cut = at % (base.length + 1);
        expectCleanOutcome(truncate ? base.slice(0, cut) : base.slice(0, cut) + insert + base.slice(cut));
      }),
      { numRuns: 300 },
    );
  });
});
