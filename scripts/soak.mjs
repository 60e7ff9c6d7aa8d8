#!/usr/bin/env node
// The long variants of the reliability suite (test/reliability): the same tests with bigger sizes.
//
//   node scripts/soak.mjs                      50 clients x 60 s, 5,000 fuzz cases per property, 20 crash rounds
//   node scripts/soak.mjs --load-seconds 600 --fuzz-runs 20000 --crash-rounds 50
//   node scripts/soak.mjs -- load             extra arguments after -- go to vitest (e.g. a file filter)
//
// Results are printed as `[reliability] ...` lines; the load figures go to .bench/reliability-load.json.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sizes = { 'load-seconds': 60, 'load-clients': 50, 'fuzz-runs': 5000, 'fuzz-cli-runs': 64, 'crash-rounds': 20 };
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash === -1 ? argv : argv.slice(0, dash);
const vitestArgs = dash === -1 ? [] : argv.slice(dash + 1);
for (let i = 0; i < own.length; i += 2) {
  const name = own[i].replace(/^--/, '');
  const value = Number(own[i + 1]);
  if (!(name in sizes) || !Number.isSafeInteger(value) || value <= 0) {
    console.error(`soak: unknown option or bad value: ${own[i]} ${own[i + 1] ?? ''} (options: ${Object.keys(sizes).map((k) => `--${k} N`).join(', ')})`);
    process.exit(2);
  }
  sizes[name] = value;
}

const env = {
  ...process.env,
  LOAD_SECONDS: String(sizes['load-seconds']),
  LOAD_CLIENTS: String(sizes['load-clients']),
  FUZZ_RUNS: String(sizes['fuzz-runs']),
  FUZZ_CLI_RUNS: String(sizes['fuzz-cli-runs']),
  CRASH_ROUNDS: String(sizes['crash-rounds']),
};
console.log(`soak: ${Object.entries(sizes).map(([k, v]) => `${k}=${v}`).join(' ')}`);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// The CLI and crash tests run the built dist/, so build first: the whole build, as `npm test` does. tsc
// alone would put the error classes' ES modules back in place of the wrappers of dist/errors.cjs that
// the CLI bundle shares (scripts/bundle.mjs), and an error thrown by the scheduler would no longer be
// the CLI's class: bad input would exit 1 instead of 2.
run('npm', ['run', '--silent', 'build']);
// Generous per-test timeouts: the tests scale their own, this only lifts vitest's defaults.
run('npx', ['vitest', 'run', '--testTimeout', String((sizes['load-seconds'] + 600) * 1000), '--hookTimeout', '600000', 'test/reliability', ...vitestArgs]);
