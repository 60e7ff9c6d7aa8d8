/**
 * The kit's layer: everything src/executor/index.ts reaches, statically or by a dynamic import, lies
 * in src/executor, src/mesos, src/protocol, src/gen, src/errors.ts or the leaf src/util/json-scan.ts,
 * and the only package it loads is protobufjs: nothing of the scheduler, the CLI or their dependencies.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../../src');

function reach(file: string, files = new Set<string>(), packages = new Set<string>()): { files: Set<string>; packages: Set<string> } {
  if (files.has(file)) return { files, packages };
  files.add(file);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b(?!\s+type\b)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)) {
    const spec = match[1] ?? match[2]!;
    if (spec.startsWith('.')) reach(join(dirname(file), spec.replace(/\.js$/, '.ts')), files, packages);
    else if (!spec.startsWith('node:')) packages.add(spec);
  }
  return { files, packages };
}

it('the kit reaches none of the scheduler, the CLI or their dependencies', () => {
  const { files, packages } = reach(join(src, 'executor/index.ts'));
  const dirs = new Set([...files].map((f) => relative(src, f).split('/').slice(0, -1).join('/') || relative(src, f)));
  expect([...dirs].sort()).toEqual(['errors.ts', 'executor', 'gen', 'mesos', 'protocol', 'util']);
  expect([...files].filter((f) => relative(src, f).startsWith('util/')).map((f) => relative(src, f))).toEqual(['util/json-scan.ts']);
  expect([...packages]).toEqual(['protobufjs/light.js']);
});
