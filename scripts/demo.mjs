#!/usr/bin/env node
// `npm run demo`: the quick start, end to end. Starts the local scheduler with the examples'
// custom executor file, creates a service on a custom executor, shows it RUNNING, rolls an update,
// shows a task's log, then runs a second service next to it on kit-executor (examples/kit-executor.mjs,
// a Mesos executor written with aurora-ts/executor), kills both jobs and stops the scheduler,
// leaving no process behind. Each step is a real `aurora-ts` command, printed before it runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/aurora-ts.js');
const key = 'local/www-data/devel/hello';
const kitKey = 'local/www-data/devel/kit-hello';

// examples/executors.json plus kit-executor: Mesos runs an executor's command in the task's sandbox,
// so its entry names examples/kit-executor.mjs by absolute path, known only here.
const work = mkdtempSync(join(tmpdir(), 'aurora-ts-demo-'));
const executors = join(work, 'executors.json');
const kitEntry = {
  executor: {
    name: 'kit-executor',
    command: { value: process.execPath, shell: false, arguments: ['node', join(root, 'examples/kit-executor.mjs')] },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.05 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 64 } },
    ],
  },
  task_prefix: 'kit-',
};
writeFileSync(executors, JSON.stringify([...JSON.parse(readFileSync(join(root, 'examples/executors.json'), 'utf8')), kitEntry], null, 2));
console.log(`examples/executors.json plus kit-executor (node ${join(root, 'examples/kit-executor.mjs')}) in ${executors}`);

function aurora(args, { allowFailure = false } = {}) {
  console.log(`\n$ aurora-ts ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 && !allowFailure) throw new Error(`aurora-ts ${args[0]} ${args[1]} exited ${r.status ?? r.signal}`);
  return r.status;
}

let failed = false;
try {
  aurora(['scheduler', 'start', '--detach', '--custom-executor-config', executors]);
  aurora(['job', 'create', 'examples/hello-service.json', '--wait-until', 'RUNNING']);
  aurora(['job', 'status', key]);
  aurora(['update', 'start', 'examples/hello-service-v2.json', '--wait']);
  aurora(['job', 'status', key]);
  aurora(['task', 'logs', `${key}/0`]);
  // The same kind of service on a Mesos executor written with aurora-ts/executor: its own log lines
  // (the sandbox's stderr) show it subscribing to the agent before the task ran.
  aurora(['job', 'create', 'examples/kit-service.json', '--wait-until', 'RUNNING']);
  aurora(['job', 'status', kitKey]);
  aurora(['task', 'logs', `${kitKey}/0`, '--stderr']);
  aurora(['job', 'killall', key, '--wait']);
  aurora(['job', 'killall', kitKey, '--wait']);
} catch (error) {
  console.error(`\ndemo failed: ${error.message}`);
  failed = true;
} finally {
  aurora(['scheduler', 'stop'], { allowFailure: true });
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
