#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the SDK entry and the CLI with rolldown.
//
// Why: Node 20's ESM loader costs about 0.5 ms per module (resolve, stat, an async read, link)
// whatever the module holds (docs/performance.md).
// - The SDK entry (dist/index.js and what it imports) becomes dist/sdk/index.js, which package.json's
//   "." export points at: `import('aurora-ts')` cost 1.78x `node -e 0` in CPU time unbundled, 1.35x
//   as one file.
// - The CLI (dist/cli/main.js, its verbs, the client and commander) becomes CommonJS chunks under
//   dist/cli/bundle/, which bin/aurora-ts.js requires: a CommonJS program skips the ESM loader's own
//   start-up too, and the chunks split so that `--help` loads no client, codec or job-file code.
//   Each verb stays a chunk of its own, loaded when it runs.
// The rest of dist/ (the scheduler, and the tsc output the tests import) stays as tsc wrote it.
//
// Modules that define error classes stay separate files that both bundles import (the CLI through
// Node 20.19's require() of an ES module): the scheduler entry (aurora-ts/scheduler) throws them too,
// and `instanceof AuroraError` must hold for an error from anywhere. The CLI leaves the scheduler
// (dist/scheduler/) to the ESM files, as `aurora-ts/scheduler` loads it. Packages under node_modules
// stay external (zod, cron-parser, ora, inquirer load lazily), except commander in the CLI.
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist');
const SHARED = ['errors.js', 'executors/error.js'].map((f) => join(dist, f));

/** node: builtins and packages, except those named in `bundled`. */
const packagesExcept = (bundled) => (id) => !id.startsWith('.') && !id.startsWith('/') && !bundled.includes(id);

/**
 * Leaves the modules `isShared(path)` selects out of the bundle written to `out`, imported by their
 * path from there (e.g. ../errors.js), and keeps every `new URL('<relative path>', import.meta.url)`
 * pointing at the same file from the bundle's directory (package.json for the User-Agent and
 * `--version`, bin/aurora-ts.js for `scheduler start --detach`).
 */
function stayInPlace(out, isShared) {
  const relativeUrl = /new URL\((['"])(\.\.?\/[^'"]*)\1, import\.meta\.url\)/g;
  const fromOut = (path) => {
    const rel = relative(out, path);
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  return {
    name: 'stay-in-place',
    resolveId(id, importer) {
      if (!id.startsWith('.') || importer === undefined) return null;
      const path = resolve(dirname(importer), id);
      return isShared(path) ? { id: fromOut(path), external: true } : null;
    },
    transform(code, id) {
      if (!code.includes('import.meta.url')) return null;
      return code.replace(relativeUrl, (_m, quote, path) => `new URL(${quote}${fromOut(resolve(dirname(id), path))}${quote}, import.meta.url)`);
    },
  };
}

const sdkOut = join(dist, 'sdk');
await build({
  input: join(dist, 'index.js'),
  platform: 'node',
  logLevel: 'warn',
  external: packagesExcept([]),
  plugins: [stayInPlace(sdkOut, (path) => SHARED.includes(path))],
  output: { file: join(sdkOut, 'index.js'), format: 'esm' },
});

const cliOut = join(dist, 'cli/bundle');
const under = (...dirs) => (id) => dirs.some((d) => id.startsWith(join(dist, d) + '/'));
const cli = await build({
  input: { main: join(dist, 'cli/main.js') },
  platform: 'node',
  logLevel: 'warn',
  external: packagesExcept(['commander']),
  plugins: [stayInPlace(cliOut, (path) => SHARED.includes(path) || under('scheduler')(path))],
  output: {
    dir: cliOut,
    format: 'cjs',
    entryFileNames: '[name].cjs',
    chunkFileNames: '[name].cjs',
    codeSplitting: {
      groups: [
        // What every command loads, beside commander in the entry chunk.
        { name: 'cli', tags: ['$initial'], test: (id) => !id.includes('/node_modules/') },
        // What talks to a scheduler: one chunk, loaded by the first command that makes a call.
        { name: 'client', test: under('client', 'protocol', 'gen', 'transport', 'discovery', 'waiters', 'update') },
        // Job and executor files: reading, validating, building.
        { name: 'job-files', test: under('job', 'executors') },
      ],
    },
  },
});

// Which source modules each chunk holds: test/cli/framework.test.ts checks with it that `--help`
// loads no client, codec, scheduler or job-file code.
const manifest = Object.fromEntries(
  cli.output.filter((o) => o.type === 'chunk').map((chunk) => [chunk.fileName, chunk.moduleIds.map((id) => relative(dist, id)).sort()]),
);
writeFileSync(join(cliOut, 'modules.json'), `${JSON.stringify(manifest, null, 2)}\n`);
