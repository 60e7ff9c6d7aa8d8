#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the SDK entry (dist/index.js and what it imports) into
// dist/sdk/index.js, which package.json's "." export points at.
//
// Why: Node 20's ESM loader costs about 0.5 ms per module (resolve, stat, an async read, link),
// and the SDK is 54 modules: `import('aurora-ts')` cost 1.78x `node -e 0` in CPU time unbundled,
// 1.35x as one file (docs/performance.md). The rest of dist/ (CLI, scheduler) stays as tsc wrote it.
//
// Modules that define error classes stay separate files that the bundle imports: the scheduler
// entry (aurora-ts/scheduler) throws them too, and `instanceof AuroraError` must hold for an error
// from either entry. Packages under node_modules stay external (and zod, cron-parser load lazily).
//
// Then the executor kit (aurora-ts/executor): dist/executor/index.js is replaced by a bundle of itself
// with src/mesos and protobufjs' light build inside (protobufjs is some 40 CommonJS modules; an
// executor starts often and should start fast), and the Thrift codec as a chunk the kit loads while
// it subscribes. protobufjs' optional `long` is left out: the kit reads 64-bit integers as numbers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist');
const out = join(dist, 'sdk');
const SHARED = ['errors.js', 'executors/error.js'].map((f) => join(dist, f));

await build({
  input: join(dist, 'index.js'),
  platform: 'node',
  logLevel: 'warn',
  external: (id) => !id.startsWith('.') && !id.startsWith('/'), // node: builtins and packages
  plugins: [
    {
      name: 'shared-error-modules',
      resolveId(id, importer) {
        const path = importer === undefined ? id : resolve(dirname(importer), id);
        // Imported by the bundle under its path from dist/sdk/, e.g. ../errors.js.
        return SHARED.includes(path) ? { id: relative(out, path), external: true } : null;
      },
    },
  ],
  // dist/sdk/ sits two levels below package.json, as dist/transport/ does (the User-Agent version).
  output: { file: join(out, 'index.js'), format: 'esm' },
});

await build({
  input: join(dist, 'executor/index.js'),
  platform: 'node',
  logLevel: 'warn',
  external: (id) => id.startsWith('node:'),
  plugins: [
    {
      name: 'without-long',
      resolveId: (id) => (id === 'long' ? '\0no-long' : null),
      load: (id) => (id === '\0no-long' ? 'module.exports = null;' : null),
    },
  ],
  output: {
    dir: join(dist, 'executor'),
    format: 'esm',
    entryFileNames: 'index.js',
    chunkFileNames: 'bundle-[name].js',
    minify: true,
    // protobuf.js' licence asks that its notice travel with its code.
    banner: (chunk) => (chunk.isEntry ? `/*! aurora-ts/executor. Includes protobuf.js:\n${protobufLicense()}*/` : ''),
  },
});

function protobufLicense() {
  const pkg = createRequire(import.meta.url).resolve('protobufjs/package.json');
  return readFileSync(join(dirname(pkg), 'LICENSE'), 'utf8').replaceAll('*/', '* /');
}
