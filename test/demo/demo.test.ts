/**
 * The README's quick start, `npm run demo`, run as a user would: it must create the example job on
 * the custom executor, show it RUNNING, roll the update, show the new config in a task's log, kill
 * the job and stop the scheduler, leaving no process behind. (CI runs this in a fresh clone.)
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
      if (/(?:^|\0)AURORA_TS_TASK=www-data-devel-hello-/.test(env) && readlinkSync(`/proc/${entry}/cwd`).startsWith(home)) pids.push(Number(entry));
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
    expect(output).toContain('$ aurora-ts scheduler start --detach --custom-executor-config examples/executors.json');
    expect(output).toMatch(/RUNNING 2\/2/);
    expect(output).toMatch(/ROLLED_FORWARD/);
    expect(output).toContain('hello-executor started: {"message":"Hello again from aurora-ts, v2"}');
    expect(output).toMatch(/Stopped the local scheduler/);
    expect(demoTaskProcesses()).toEqual([]);
  });
});
