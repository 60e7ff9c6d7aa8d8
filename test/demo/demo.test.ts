/**
 * The README's quick start, `npm run demo`, run as a user would: it must create the example job on
 * the custom executor, show it RUNNING, roll the update, show the new config in a task's log, kill
 * the job, run a service on kit-executor (examples/kit-executor.mjs, written with aurora-ts/executor)
 * next to it and kill it, and stop the scheduler, leaving no process behind. (CI runs this in a fresh clone.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const home = mkdtempSync(join(tmpdir(), 'aurora-ts-demo-'));

afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Processes whose environment marks them as tasks of the demo job, run from this test's home (not another demo's). */
function demoTaskProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (/(?:^|\0)AURORA_TS_TASK=www-data-devel-(?:kit-)?hello-/.test(env) && readlinkSync(`/proc/${entry}/cwd`).startsWith(home)) pids.push(Number(entry));
    } catch {
      // exited, or not readable
    }
  }
  return pids;
}

describe('npm run demo', () => {
  it('runs the quick start end to end and leaves nothing running', () => {
    const result = spawnSync('npm', ['run', '--silent', 'demo'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, HOME: home, XDG_STATE_HOME: join(home, 'state'), TMPDIR: home, NO_COLOR: '1' }, // sandboxes under TMPDIR
    });
    const output = result.stdout + result.stderr;
    expect(result.status, output).toBe(0);
    expect(output).toMatch(/^\$ aurora-ts scheduler start --detach --custom-executor-config \S+\/executors\.json$/m);
    expect(output).toMatch(/RUNNING 2\/2/);
    expect(output).toMatch(/ROLLED_FORWARD/);
    expect(output).toContain('hello-executor started: {"message":"Hello again from aurora-ts, v2"}');
    // kit-executor (examples/kit-executor.mjs, written with aurora-ts/executor) ran its task as a Mesos
    // executor: subscribed to the agent, launched the task, RUNNING, then KILLED.
    expect(output).toMatch(/local\/www-data\/devel\/kit-hello: RUNNING 1\/1/);
    expect(output).toMatch(/^executor: subscribed to the agent at 127\.0\.0\.1:\d+ in application\/x-protobuf$/m);
    expect(output).toContain('executor: www-data/devel/kit-hello instance 0 runs: echo "kit-hello started by kit-executor"');
    expect(output).toMatch(/local\/www-data\/devel\/kit-hello: active tasks left: 0 \(KILLED 1\)/);
    expect(output).toMatch(/Stopped the local scheduler/);
    expect(demoTaskProcesses()).toEqual([]);
  });
});
