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
// - The executor kit (aurora-ts/executor): dist/executor/index.js is replaced by a bundle of itself
//   with src/mesos and protobufjs' light build inside (protobufjs is some 40 CommonJS modules; an
//   executor starts often and should start fast), and the Thrift codec as a chunk the kit loads while
//   it subscribes. protobufjs' optional `long` is left out: the kit reads 64-bit integers as numbers.
// The rest of dist/ (the scheduler, and the tsc output the tests import) stays as tsc wrote it.
//
// Modules that define error classes stay separate files that both bundles import: the scheduler entry
// (aurora-ts/scheduler) throws them too, and `instanceof AuroraError` must hold for an error from
// anywhere. They are CommonJS (dist/errors.cjs, dist/executors/error.cjs), with the ES module tsc
// wrote replaced by a wrapper that require()s them (Node's "ES module wrapper" for dual packages):
// the CommonJS CLI then loads them without starting Node's ES module loader (require() of an ES
// module cost `job list` about 2 ms), and ES modules get the very same classes. The SDK bundle
// require()s the CommonJS files itself, skipping the wrappers. The CLI leaves the scheduler
// (dist/scheduler/) to the ESM files, as `aurora-ts/scheduler` loads it. Packages under node_modules
// stay external (zod, cron-parser, ora, inquirer load lazily), except commander in the CLI.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { parseAst } from 'rolldown/parseAst';

const dist = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist');
const SHARED = ['errors.js', 'executors/error.js'].map((f) => join(dist, f));
/** The CommonJS file that holds a SHARED module's code once this script has run. */
const commonJs = (path) => path.replace(/\.js$/, '.cjs');

// First, from the error modules as tsc wrote them (the bundles below read them too; the executor kit
// holds its own copy): each SHARED module becomes CommonJS, importing the others' CommonJS files.
// Their ES modules become wrappers of them last.
const WRAPPER = '// Written by scripts/bundle.mjs:';
/** The names each SHARED module exports. */
const sharedExports = new Map();
for (const path of SHARED) {
  if (readFileSync(path, 'utf8').startsWith(WRAPPER)) throw new Error(`${path} is already a wrapper: run npm run build, which compiles dist/ afresh`);
  const { output } = await build({
    input: path,
    platform: 'node',
    logLevel: 'warn',
    external: (id) => id.startsWith('node:'),
    plugins: [stayInPlace(dirname(path), (p) => SHARED.includes(p) && p !== path, commonJs)],
    output: { file: commonJs(path), format: 'cjs' },
  });
  const names = output[0].exports;
  if (names.length === 0 || names.some((name) => !/^[A-Za-z_$][\w$]*$/.test(name))) throw new Error(`${path}: unexpected exports ${names.join(', ')}`);
  sharedExports.set(path, names);
}

/** An ES module, in directory `dir`, exporting what SHARED module `path` exports, from its CommonJS file. */
function requiringShared(dir, path) {
  return (
    `import { createRequire } from 'node:module';\n\n` +
    `export const { ${sharedExports.get(path).join(', ')} } = createRequire(import.meta.url)(${JSON.stringify(fromDir(dir, commonJs(path)))});\n`
  );
}

/**
 * Bundles, in place of each SHARED module imported, the few lines that require() its CommonJS file:
 * the SDK entry then loads two CommonJS files instead of two ES module wrappers and those files.
 */
function sharedThroughRequire(out) {
  const prefix = '\0shared:';
  return {
    name: 'shared-through-require',
    resolveId(id, importer) {
      if (!id.startsWith('.') || importer === undefined) return null;
      const path = resolve(dirname(importer), id);
      return SHARED.includes(path) ? prefix + path : null;
    },
    load: (id) => (id.startsWith(prefix) ? requiringShared(out, id.slice(prefix.length)) : null),
  };
}

/** node: builtins and packages, except those named in `bundled`. */
const packagesExcept = (bundled) => (id) => !id.startsWith('.') && !id.startsWith('/') && !bundled.includes(id);

/** `path` as a module specifier from the directory `out`. */
function fromDir(out, path) {
  const rel = relative(out, path);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * Leaves the modules `stays(path)` selects out of the bundle written to `out`, imported by their
 * path from there (e.g. ../errors.js; `as(path)` names another file to import instead), and keeps every `new URL('<relative path>', import.meta.url)`
 * pointing at the same file from the bundle's directory (package.json for the User-Agent and
 * `--version`, bin/aurora-ts.js for `scheduler start --detach`).
 */
function stayInPlace(out, stays, as = (path) => path) {
  const relativeUrl = /new URL\((['"])(\.\.?\/[^'"]*)\1, import\.meta\.url\)/g;
  return {
    name: 'stay-in-place',
    resolveId(id, importer) {
      if (!id.startsWith('.') || importer === undefined) return null;
      const path = resolve(dirname(importer), id);
      return stays(path) ? { id: fromDir(out, as(path)), external: true } : null;
    },
    transform(code, id) {
      if (!code.includes('import.meta.url')) return null;
      return code.replace(relativeUrl, (_m, quote, path) => `new URL(${quote}${fromDir(out, resolve(dirname(id), path))}${quote}, import.meta.url)`);
    },
  };
}

/** Calls `visit` on every node of an ESTree AST. */
function walk(node, visit) {
  if (Array.isArray(node)) for (const child of node) walk(child, visit);
  else if (node !== null && typeof node === 'object') {
    if (typeof node.type === 'string') visit(node);
    for (const value of Object.values(node)) if (value !== null && typeof value === 'object') walk(value, visit);
  }
}

/**
 * Turns every `import()` that the bundle written to `out` does not resolve itself (a package, a
 * module `stays(path)` leaves in place, a user's job file) into a call of `importer`, a file outside
 * `out` that Node compiles as usual (relative paths are rewritten from its directory). The chunks
 * then hold no `import()`: V8's code cache (src/cli/code-cache.ts) compiles the files under `out` as
 * scripts, which cannot run `import()` on Node 20 without an experimental flag. Imports of the
 * bundle's own modules stay, for rolldown to make lazily loaded chunks of.
 */
function importsThrough(importer, out, stays) {
  const helper = '\0dynamic-import';
  const name = '__auroraDynamicImport';
  return {
    name: 'imports-through',
    resolveId: (id) => (id === helper ? { id: fromDir(out, importer), external: true } : null),
    transform(code, id) {
      if (!code.includes('import(')) return null;
      const edits = [];
      walk(parseAst(code), (node) => {
        if (node.type !== 'ImportExpression') return;
        if (node.options) throw new Error(`${id}: import() with options cannot go through ${importer}`);
        const { source } = node;
        let specifier = code.slice(source.start, source.end);
        if (source.type === 'Literal' && typeof source.value === 'string' && source.value.startsWith('.')) {
          const path = resolve(dirname(id), source.value);
          if (!stays(path)) return;
          specifier = JSON.stringify(fromDir(dirname(importer), path));
        }
        edits.push({ start: node.start, end: node.end, text: `${name}(${specifier})` });
      });
      if (edits.length === 0) return null;
      let result = code;
      for (const { start, end, text } of edits.sort((a, b) => b.start - a.start)) result = result.slice(0, start) + text + result.slice(end);
      return `import { dynamicImport as ${name} } from ${JSON.stringify(helper)};\n${result}`;
    },
  };
}

/**
 * commander requires node:child_process (with net, dgram and the rest of its modules: about 1 ms of a
 * command's start) for executable subcommands (`program.command('x', 'desc')` running
 * `aurora-ts-x`), which aurora-ts has none of: in the CLI bundle the module loads when a spawn is
 * first asked for. The build fails if commander's line changes, rather than bundle it as is.
 */
function lazyChildProcessInCommander() {
  const eager = "const childProcess = require('node:child_process');";
  return {
    name: 'lazy-child-process-in-commander',
    transform(code, id) {
      if (!id.endsWith(join('node_modules', 'commander', 'lib', 'command.js'))) return null;
      const uses = code.match(/childProcess\.\w+/g) ?? [];
      if (!code.includes(eager) || uses.some((use) => use !== 'childProcess.spawn')) {
        throw new Error(`${id}: not the "${eager}" and childProcess.spawn() this build makes lazy; check scripts/bundle.mjs against this commander`);
      }
      return code.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };");
    },
  };
}

const sdkOut = join(dist, 'sdk');
await build({
  input: join(dist, 'index.js'),
  platform: 'node',
  logLevel: 'warn',
  external: packagesExcept([]),
  plugins: [sharedThroughRequire(sdkOut), stayInPlace(sdkOut, () => false)],
  output: { file: join(sdkOut, 'index.js'), format: 'esm' },
});

const cliOut = join(dist, 'cli/bundle');
const under = (...dirs) => (id) => dirs.some((d) => id.startsWith(join(dist, d) + '/'));
const cliImporter = join(dist, 'cli/dynamic-import.cjs');
const stays = (path) => SHARED.includes(path) || under('scheduler')(path);
const codeCache = join(dist, 'cli/code-cache.js');
const OPERATIONS = (id) => under('waiters', 'update')(id) || ['client/task-files.js', 'client/safe-writes.js'].some((f) => id === join(dist, f));
const cli = await build({
  input: { main: join(dist, 'cli/main.js'), 'code-cache': codeCache },
  platform: 'node',
  logLevel: 'warn',
  external: packagesExcept(['commander']),
  plugins: [
    stayInPlace(cliOut, stays, (path) => (SHARED.includes(path) ? commonJs(path) : path)),
    importsThrough(cliImporter, cliOut, stays),
    lazyChildProcessInCommander(),
  ],
  output: {
    dir: cliOut,
    format: 'cjs',
    entryFileNames: '[name].cjs',
    // A chunk of one module of src/cli/commands/<noun>/ (a verb, or what a noun's verbs share) is
    // <noun>-<file>.cjs: `start` and `list` are verbs of several nouns.
    chunkFileNames: (chunk) => {
      const only = chunk.facadeModuleId ?? (chunk.moduleIds.length === 1 ? chunk.moduleIds[0] : '');
      const verb = /\/cli\/commands\/([^/]+)\/([^/]+)\.js$/.exec(only);
      return verb ? `${verb[1]}-${verb[2]}.cjs` : '[name].cjs';
    },
    codeSplitting: {
      groups: [
        // What every command loads: the framework, its commands' specs, commander.
        { name: 'cli', tags: ['$initial'], test: (id) => !id.includes('/node_modules/') && id !== codeCache },
        // What makes a call: the client, codecs, schema, transport and discovery, loaded by the first
        // command that talks to a scheduler (`job list` loads this and nothing more of the library).
        { name: 'client', test: (id) => under('client', 'protocol', 'gen', 'transport', 'discovery')(id) && !OPERATIONS(id) },
        // What only some commands use on top: waiting, updates, safe writes, a task's files.
        { name: 'operations', test: OPERATIONS },
        // Job and executor files: reading, validating, building.
        { name: 'job-files', test: under('job', 'executors') },
      ],
    },
  },
});

const chunks = cli.output.filter((o) => o.type === 'chunk');
for (const chunk of chunks) {
  walk(parseAst(chunk.code), (node) => {
    if (node.type === 'ImportExpression') throw new Error(`dist/cli/bundle/${chunk.fileName} holds an import(): V8's code cache cannot compile it`);
  });
}
writeFileSync(
  cliImporter,
  `// Written by scripts/bundle.mjs: the import() of the CLI bundle (dist/cli/bundle/), compiled by Node as usual,\n// not from V8's code cache (src/cli/code-cache.ts); relative paths resolve from this directory.\n'use strict';\nexports.dynamicImport = (specifier) => import(specifier);\n`,
);

// Which source modules each chunk holds: test/cli/framework.test.ts checks with it that `--help`
// loads no client, codec, scheduler or job-file code.
const manifest = Object.fromEntries(
  chunks.map((chunk) => [chunk.fileName, chunk.moduleIds.map((id) => relative(dist, id)).sort()]),
);
writeFileSync(join(cliOut, 'modules.json'), `${JSON.stringify(manifest, null, 2)}\n`);

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

// Last, as the bundles above read the error modules as tsc wrote them: each SHARED module's ES module
// becomes a wrapper exporting the same names from its CommonJS file.
for (const path of SHARED) {
  writeFileSync(
    path,
    `${WRAPPER} the ES module face of ${fromDir(dirname(path), commonJs(path))}, which holds the code, so\n` +
      `// that CommonJS (the CLI) and ES modules share its classes. See scripts/bundle.mjs.\n` +
      requiringShared(dirname(path), path),
  );
}

function protobufLicense() {
  const pkg = createRequire(import.meta.url).resolve('protobufjs/package.json');
  return readFileSync(join(dirname(pkg), 'LICENSE'), 'utf8').replaceAll('*/', '* /');
}
