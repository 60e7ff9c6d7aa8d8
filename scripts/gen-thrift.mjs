#!/usr/bin/env node
// Regenerates the Apache Thrift reference code (src/gen/thrift) from thrift/api.thrift.
//
//   node scripts/gen-thrift.mjs           clean src/gen/thrift and regenerate it
//   node scripts/gen-thrift.mjs --check   regenerate into a temp dir; exit 1 and list
//                                         the files that differ from the committed ones
//   --out DIR                             use DIR instead of src/gen/thrift
//
// The output is CommonJS, so the folder gets its own package.json saying so (the
// project itself is ESM). Needs the Apache Thrift compiler (`thrift`, 0.17 here);
// set THRIFT to use another binary.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const idl = join(root, 'thrift', 'api.thrift');
const defaultTarget = join(root, 'src', 'gen', 'thrift');
const generator = 'js:node,es6,ts';
const thriftBin = process.env.THRIFT || 'thrift';

function generate(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const run = spawnSync(thriftBin, ['--gen', generator, '-out', outDir, idl], { encoding: 'utf8' });
  if (run.error) {
    throw new Error(`cannot run ${thriftBin} (${run.error.message}); install the Apache Thrift compiler (Debian: thrift-compiler)`);
  }
  if (run.status !== 0) {
    throw new Error(`${thriftBin} --gen ${generator} failed:\n${run.stderr || run.stdout}`);
  }
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
}

function listFiles(dir) {
  const files = [];
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(relative(dir, p));
    }
  };
  walk(dir);
  return files.sort();
}

function differences(expectedDir, actualDir) {
  const expected = new Set(listFiles(expectedDir));
  const actual = new Set(listFiles(actualDir));
  const diffs = [];
  for (const f of expected) {
    if (!actual.has(f)) diffs.push(`missing:  ${f}`);
    else if (!readFileSync(join(expectedDir, f)).equals(readFileSync(join(actualDir, f)))) diffs.push(`differs:  ${f}`);
  }
  for (const f of actual) if (!expected.has(f)) diffs.push(`extra:    ${f}`);
  return diffs;
}

function main(argv) {
  const usage = 'usage: gen-thrift.mjs [--check] [--out DIR]';
  let check = false;
  let target = defaultTarget;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--check') check = true;
    else if (argv[i] === '--out' && argv[i + 1]) target = resolve(argv[(i += 1)]);
    else throw new Error(`${usage} (unexpected: ${argv[i]})`);
  }
  if (!check) {
    generate(target);
    process.stdout.write(`generated ${listFiles(target).length} files in ${relative(root, target)}\n`);
    return 0;
  }
  const temp = mkdtempSync(join(tmpdir(), 'gen-thrift-'));
  try {
    const fresh = join(temp, 'thrift');
    generate(fresh);
    const diffs = differences(fresh, target);
    if (diffs.length === 0) {
      process.stdout.write(`${relative(root, target)} is up to date\n`);
      return 0;
    }
    process.stderr.write(
      `${relative(root, target)} is stale; run \`node scripts/gen-thrift.mjs\`:\n${diffs.map((d) => `  ${d}`).join('\n')}\n`,
    );
    return 1;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
