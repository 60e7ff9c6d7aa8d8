import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import { Job, configToJobFile, parseJobFile } from '../../src/job/index.js';
import { jobFileArb } from './arbitraries.js';

describe('job file round trip', () => {
  test('file → JobConfiguration → plain data, builder and file again give the same job', () => {
    fc.assert(
      fc.property(jobFileArb, (file) => {
        const loaded = parseJobFile(file, 'prop.json', { defaultOwner: 'someone' });
        const { config } = loaded;
        // Plain data: JSON survives unchanged (no Sets, no undefined, no class instances).
        expect(JSON.parse(JSON.stringify(config))).toEqual(config);
        // The builder holds every field.
        expect(Job.from(config).toConfig()).toEqual(config);
        // The job file written back describes the same job and update.
        const again = parseJobFile(configToJobFile(config, { ...(file.cluster ? { cluster: file.cluster } : {}), ...(loaded.update ? { update: loaded.update } : {}) }));
        expect(again.config).toEqual(config);
        expect(again.update).toEqual(loaded.update);
        expect(again.cluster).toEqual(loaded.cluster);
      }),
      { numRuns: 200 },
    );
  });
});

// Mutations a user (or a bad merge) might make to a job file; `c` holds the random choices.
interface Choice {
  kind: number;
  path: number;
  junk: number;
  char: number;
  upper: boolean;
}

const junk: unknown[] = [null, 0, -1, 1.5, '', 'lots', 'limit:x', true, [], {}, [1, 'a'], { x: 1 }, 1e308, 'a/b', '!', ',', 'x'.repeat(300)];

function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...paths(v, [...prefix, k]));
  }
  return out;
}

function parentOf(root: Record<string, unknown>, path: (string | number)[]): Record<string | number, unknown> {
  let node: unknown = root;
  for (const p of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[p];
  return node as Record<string | number, unknown>;
}

function mutate(file: Record<string, unknown>, c: Choice): void {
  const keyed = paths(file).filter((p) => typeof p[p.length - 1] === 'string');
  const all = paths(file);
  if (c.kind === 0) {
    const path = all[c.path % all.length]!;
    parentOf(file, path)[path[path.length - 1]!] = structuredClone(junk[c.junk % junk.length]);
  } else if (c.kind === 1) {
    const path = keyed[c.path % keyed.length]!;
    delete parentOf(file, path)[path[path.length - 1]!];
  } else {
    // A typo in a key: one letter dropped or upper-cased.
    const path = keyed[c.path % keyed.length]!;
    const parent = parentOf(file, path);
    const key = String(path[path.length - 1]);
    const i = c.char % key.length;
    const typo = c.upper ? key.slice(0, i) + key.charAt(i).toUpperCase() + key.slice(i + 1) : key.slice(0, i) + key.slice(i + 1);
    const v = parent[key];
    delete parent[key];
    parent[typo] = v;
  }
}

const choiceArb = fc.record({ kind: fc.nat(2), path: fc.nat(), junk: fc.nat(), char: fc.nat(), upper: fc.boolean() });

describe('job file fuzz', () => {
  test('random mutations are accepted or rejected with one line naming a field', () => {
    fc.assert(
      fc.property(jobFileArb, fc.array(choiceArb, { minLength: 1, maxLength: 3 }), (file, choices) => {
        const mutated = structuredClone(file) as Record<string, unknown>;
        for (const c of choices) mutate(mutated, c);
        try {
          parseJobFile(mutated, 'fuzz.json', { defaultOwner: 'someone' });
        } catch (err) {
          expect(err).toBeInstanceOf(AuroraValidationError);
          const e = err as AuroraValidationError;
          expect(e.message).not.toContain('\n');
          expect(e.field).not.toBe('');
          expect(e.message.startsWith(`${e.field}: `)).toBe(true);
          expect(e.message.length).toBeLessThan(400);
        }
      }),
      { numRuns: 200 },
    );
  });
});
