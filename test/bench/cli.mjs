#!/usr/bin/env node
// CLI, SDK and executor-kit start-up benchmark: wall time of whole `aurora-ts` processes, and of
// programs that only do `import 'aurora-ts'` or `import 'aurora-ts/executor'`, against `node -e 0` (the floor of any Node program on this
// machine), measured as interleaved rounds so that a noisy, shared machine slows all alike; each
// ratio is the median of the per-round ratios. The import runs in a fresh project that installed
// the packed tarball (test/support/packed.mjs), as a user's deploy script would.
//
//   npm run build && node test/bench/cli.mjs [--small] [--runs N]
//
// `job list` and `job status` run against a local scheduler (dist/, in a child process) holding a few
// running jobs, so the time includes a real getJobSummary (getTasksWithoutConfigs) over HTTP. The
// warm-up runs also fill the CLI's code cache (src/cli/code-cache.ts, under the runs' own HOME), as any
// run after the first finds it. Writes .bench/cli.json; exits 1 when a full run misses a target
// (--small runs only report).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { packedConsumer } from '../support/packed.mjs';
import { flag, median, option, printRows, printTargets, root, startChild, writeReport } from './_util.mjs';

const small = flag('--small');
const runs = Number(option('--runs', small ? 5 : 21));
const bin = join(root, 'bin/aurora-ts.js');

const consumer = packedConsumer();
writeFileSync(join(consumer.project, 'import.mjs'), "import 'aurora-ts';\n");
writeFileSync(join(consumer.project, 'import-executor.mjs'), "import 'aurora-ts/executor';\n");
const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-bench-cli-'));
const executors = join(dir, 'executors.json');
writeFileSync(executors, JSON.stringify([{ executor: { name: 'sleeper', command: { value: 'exec sleep 600', shell: true }, resources: [] }, task_prefix: 'sleep-' }]));
const scheduler = await startChild(join(root, 'test/bench/_scheduler.mjs'), [JSON.stringify({ executors, cpus: 64, ramMb: 65536, killGraceMs: 500 })]);
const { AuroraClient } = await import(pathToFileURL(join(root, 'dist/client/client.js')).href);
const client = new AuroraClient({ url: scheduler.url });

try {
  // Three jobs of two instances each: `job list` has rows to print.
  for (const name of ['web', 'worker', 'batch']) {
    const key = { role: 'www-data', environment: 'prod', name };
    await client.createJob({
      key,
      owner: { user: 'bench' },
      instanceCount: 2,
      taskConfig: { job: key, owner: { user: 'bench' }, isService: true, resources: [{ numCpus: 0.1 }, { ramMb: 16 }, { diskMb: 16 }], executorConfig: { name: 'sleeper', data: '' } },
    });
  }
  client.close();

  const env = { ...process.env, NO_COLOR: '1', HOME: dir, XDG_STATE_HOME: join(dir, 'state') };
  const commands = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'aurora-ts --version': [process.execPath, [bin, '--version']],
    'aurora-ts job list local/www-data': [process.execPath, [bin, '--scheduler-url', scheduler.url, 'job', 'list', 'local/www-data']],
    'aurora-ts job status local/www-data/prod/web': [process.execPath, [bin, '--scheduler-url', scheduler.url, 'job', 'status', 'local/www-data/prod/web']],
    "import 'aurora-ts'": [process.execPath, ['import.mjs'], consumer.project],
    "import 'aurora-ts/executor'": [process.execPath, ['import-executor.mjs'], consumer.project],
  };
  const wall = (name) => {
    const [file, args, cwd] = commands[name];
    const t0 = performance.now();
    const r = spawnSync(file, args, { env, cwd, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr}`);
    if (name.includes('job list') && !r.stdout.includes('www-data/prod/web')) throw new Error(`job list printed no jobs: ${r.stdout}`);
    if (name.includes('job status') && !r.stdout.includes('RUNNING')) throw new Error(`job status printed no running task: ${r.stdout}`);
    return ms;
  };

  // Warm the file cache (and the scheduler's JIT) first.
  for (let i = 0; i < 3; i++) for (const name of Object.keys(commands)) wall(name);
  const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const ratios = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    // Rotate the order so no command always runs right after another.
    const order = Object.keys(commands);
    for (let j = 0; j < i % order.length; j++) order.push(order.shift());
    const t = {};
    for (const name of order) t[name] = wall(name);
    for (const name of order) samples[name].push(t[name]);
    for (const name of order) ratios[name].push(t[name] / t['node -e 0']);
  }

  const ms = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  console.log(`CLI, SDK and executor-kit start-up: wall time of whole processes, medians of ${runs} interleaved runs (node ${process.version})\n`);
  printRows(Object.entries(ms).map(([k, v]) => [k, v.toFixed(1), 'ms']));
  console.log('');
  const targets = [
    { name: 'aurora-ts --version / node -e 0', value: median(ratios['aurora-ts --version']), max: 1.15 },
    { name: 'aurora-ts job list / node -e 0', value: median(ratios['aurora-ts job list local/www-data']), max: 1.5 },
    { name: 'aurora-ts job status / node -e 0', value: median(ratios['aurora-ts job status local/www-data/prod/web']), max: 1.5 },
    { name: "import 'aurora-ts' / node -e 0", value: median(ratios["import 'aurora-ts'"]), max: 1.5 },
    { name: "import 'aurora-ts/executor' / node -e 0", value: median(ratios["import 'aurora-ts/executor'"]), max: 1.5 },
  ];
  const missed = printTargets(targets, small);
  writeReport('cli', { runs, small, medianMs: ms, targets });
  if (missed && !small) process.exitCode = 1;
} finally {
  await scheduler.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(consumer.dir, { recursive: true, force: true });
}
