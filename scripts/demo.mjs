#!/usr/bin/env node
// `npm run demo`: the quick start, end to end. Starts the local scheduler with the examples'
// custom executor file, creates a service on a custom executor, shows it RUNNING, rolls an update,
// shows a task's log, kills the job and stops the scheduler, leaving no process behind.
// Each step is a real `aurora-ts` command, printed before it runs.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/aurora-ts.js');
const key = 'local/www-data/devel/hello';

function aurora(args, { allowFailure = false } = {}) {
  console.log(`\n$ aurora-ts ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 && !allowFailure) throw new Error(`aurora-ts ${args[0]} ${args[1]} exited ${r.status ?? r.signal}`);
  return r.status;
}

let failed = false;
try {
  aurora(['scheduler', 'start', '--detach', '--custom-executor-config', 'examples/executors.json']);
  aurora(['job', 'create', 'examples/hello-service.json', '--wait-until', 'RUNNING']);
  aurora(['job', 'status', key]);
  aurora(['update', 'start', 'examples/hello-service-v2.json', '--wait']);
  aurora(['job', 'status', key]);
  aurora(['task', 'logs', `${key}/0`]);
  aurora(['job', 'killall', key, '--wait']);
} catch (error) {
  console.error(`\ndemo failed: ${error.message}`);
  failed = true;
} finally {
  aurora(['scheduler', 'stop'], { allowFailure: true });
}
process.exit(failed ? 1 : 0);
