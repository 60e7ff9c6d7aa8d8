#!/usr/bin/env node
// A/B of CLI start-up between builds: `node -e 0` and each build's `aurora-ts` commands, interleaved
// as test/bench/cli.mjs runs them (order rotated each round), each run under `perf stat -e task-clock`
// so that it gives the process's CPU time (all threads) besides its wall time. On a shared machine the
// CPU-time ratio moves far less with the load than the wall-time ratio (docs/performance.md).
//
//   node test/bench/_cli-ab.mjs [--runs N] [--commands list,status,version,help] ROOT...
//
// Each ROOT is a built copy of the package (bin/, dist/, package.json, node_modules), e.g. the old
// build copied aside with `cp -r bin dist package.json /tmp/old && ln -s $PWD/node_modules /tmp/old/`.
// The scheduler comes from this checkout's dist/ and holds the same three jobs as cli.mjs's. Prints
// medians of the per-round ratios to `node -e 0`; needs `perf` (linux-tools).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { median, option, root, startChild } from './_util.mjs';

const argv = process.argv.slice(2);
const roots = argv.filter((arg, i) => !arg.startsWith('--') && !argv[i - 1]?.startsWith('--')).map((r) => resolve(r));
const runs = Number(option('--runs', 21));
const which = option('--commands', 'list,status').split(',');
if (roots.length === 0) throw new Error('name at least one built copy of the package (a directory with bin/aurora-ts.js)');
if (spawnSync('perf', ['--version']).status !== 0) throw new Error('perf is needed for CPU times (apt-get install linux-tools-generic)');

const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-bench-cli-ab-'));
const executors = join(dir, 'executors.json');
writeFileSync(executors, JSON.stringify([{ executor: { name: 'sleeper', command: { value: 'exec sleep 600', shell: true }, resources: [] }, task_prefix: 'sleep-' }]));
const scheduler = await startChild(join(root, 'test/bench/_scheduler.mjs'), [JSON.stringify({ executors, cpus: 64, ramMb: 65536, killGraceMs: 500 })]);
try {
  const { AuroraClient } = await import(pathToFileURL(join(root, 'dist/client/client.js')).href);
  const client = new AuroraClient({ url: scheduler.url });
  for (const name of ['web', 'worker', 'batch']) {
    const key = { role: 'www-data', environment: 'prod', name };
    const taskConfig = { job: key, owner: { user: 'bench' }, isService: true, resources: [{ numCpus: 0.1 }, { ramMb: 16 }, { diskMb: 16 }], executorConfig: { name: 'sleeper', data: '' } };
    await client.createJob({ key, owner: { user: 'bench' }, instanceCount: 2, taskConfig });
  }
  client.close();

  const env = { ...process.env, NO_COLOR: '1', HOME: dir, XDG_STATE_HOME: join(dir, 'state') };
  const ARGS = {
    list: ['--scheduler-url', scheduler.url, 'job', 'list', 'local/www-data'],
    status: ['--scheduler-url', scheduler.url, 'job', 'status', 'local/www-data/prod/web'],
    version: ['--version'],
    help: ['--help'],
  };
  const commands = { 'node -e 0': ['-e', '0'] };
  for (const [i, r] of roots.entries()) for (const w of which) commands[`${i}: ${w}`] = [join(r, 'bin/aurora-ts.js'), ...ARGS[w]];
  const stat = join(dir, 'perf.csv');
  const run = (name) => {
    const t0 = performance.now();
    const r = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '-o', stat, process.execPath, ...commands[name]], { env, encoding: 'utf8' });
    const wall = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr}`);
    if (name.endsWith('list') && !r.stdout.includes('www-data/prod/web')) throw new Error(`job list printed no jobs: ${r.stdout}`);
    if (name.endsWith('status') && !r.stdout.includes('RUNNING')) throw new Error(`job status printed no running task: ${r.stdout}`);
    const line = readFileSync(stat, 'utf8').split('\n').find((l) => l.includes('task-clock'));
    return { wall, cpu: Number(line?.split(',')[0]) };
  };

  // Warm the file cache and each build's code cache first.
  for (let i = 0; i < 3; i++) for (const name of Object.keys(commands)) run(name);
  const got = Object.fromEntries(Object.keys(commands).map((k) => [k, { wall: [], cpu: [], wallRatio: [], cpuRatio: [] }]));
  const loads = [];
  for (let i = 0; i < runs; i++) {
    const order = Object.keys(commands);
    for (let j = 0; j < i % order.length; j++) order.push(order.shift());
    const t = Object.fromEntries(order.map((name) => [name, run(name)]));
    for (const name of order) {
      got[name].wall.push(t[name].wall);
      got[name].cpu.push(t[name].cpu);
      got[name].wallRatio.push(t[name].wall / t['node -e 0'].wall);
      got[name].cpuRatio.push(t[name].cpu / t['node -e 0'].cpu);
    }
    loads.push(loadavg()[0]);
  }
  console.log(`${runs} interleaved rounds, 1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (node ${process.version})`);
  roots.forEach((r, i) => console.log(`  ${i}: ${r}`));
  for (const [name, g] of Object.entries(got)) {
    console.log(
      `  ${name.padEnd(12)} wall ${median(g.wall).toFixed(1).padStart(6)} ms ${median(g.wallRatio).toFixed(2)}×   CPU ${median(g.cpu).toFixed(1).padStart(6)} ms ${median(g.cpuRatio).toFixed(2)}×`,
    );
  }
} finally {
  await scheduler.stop();
  rmSync(dir, { recursive: true, force: true });
}
