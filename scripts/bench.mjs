#!/usr/bin/env node
// `npm run bench [-- --small]`: runs every benchmark under test/bench/ (each prints its own table of
// medians and ratios against a baseline measured in the same run, and writes JSON under .bench/).
// Benchmarks import the built package (dist/), so this builds first when dist/ is missing or stale.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const dist = join(root, 'dist/index.js');
if (!existsSync(dist) || statSync(dist).mtimeMs < newest(join(root, 'src'))) {
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const benches = readdirSync(join(root, 'test/bench')).filter((f) => f.endsWith('.mjs') && !f.startsWith('_')).sort();
let failed = false;
for (const file of benches) {
  console.log(`\n## ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(root, 'test/bench', file), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
