/**
 * `cron schedule|show|start|deschedule` through the CLI (in-process) against a local scheduler whose cron
 * clock the test holds: the next run shown, a run fired when the clock passes it, a run started by
 * hand, and the cron job removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningScheduler } from '../../src/scheduler/index.js';
import { cleanEnv, json, jobFile, localScheduler, oneErrorLine, runCli, tempDir, type CliResult } from './helpers.js';

let scheduler: RunningScheduler;
let env: NodeJS.ProcessEnv;
const dir = tempDir();
const KEY = 'local/www-data/prod/nightly';
// The scheduler's cron clock: 1 minute before the nightly run.
let clock = Date.parse('2030-01-01T01:59:00Z');

const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });
const nightly = (changes: Record<string, unknown> = {}) =>
  jobFile(dir, 'nightly', { instances: 1, service: false, cron: { schedule: '0 2 * * *' }, ...changes });

interface Tasks {
  tasks: { instance: number; state: string }[];
}

beforeAll(async () => {
  scheduler = await localScheduler({ cron: { now: () => clock, tickMs: 50 } });
  env = cleanEnv({ AURORA_SCHEDULER_URL: scheduler.url });
});

afterAll(async () => {
  await scheduler?.close();
});

describe('cron', () => {
  it('schedules a cron job, shows its next run, and runs it when the clock gets there', async () => {
    const scheduled = await cli('cron', 'schedule', nightly());
    expect(scheduled).toMatchObject({ code: 0, stdout: `Scheduled cron job ${KEY}: 0 2 * * *\n` });

    const show = await cli('cron', 'show', KEY);
    expect(show.code).toBe(0);
    expect(show.stdout).toBe(
      `${KEY}\n  schedule:          0 2 * * * (at 02:00, every day)\n  collision policy:  KILL_EXISTING\n  next run:          2030-01-01T02:00:00.000Z\n`,
    );
    expect(json(await cli('--json', 'cron', 'show', KEY))).toEqual({
      job: KEY,
      cronSchedule: '0 2 * * *',
      description: 'at 02:00, every day',
      collisionPolicy: 'KILL_EXISTING',
      nextRun: '2030-01-01T02:00:00.000Z',
    });
    // Scheduled, not running: the job list shows it with its schedule and no tasks.
    expect((await cli('job', 'list', 'local')).stdout).toMatch(new RegExp(`^${KEY} +1 +0 +0 +0 +0 +0 2 \\* \\* \\*$`, 'm'));

    clock = Date.parse('2030-01-01T02:00:30Z');
    const deadline = Date.now() + 10_000;
    let tasks: Tasks['tasks'] = [];
    while (tasks.length === 0 && Date.now() < deadline) {
      const status = await cli('--json', 'job', 'status', KEY);
      if (status.code === 0) tasks = json<Tasks>(status).tasks;
    }
    expect(tasks.map((t) => t.instance)).toEqual([0]);
    expect(json<{ nextRun: string }>(await cli('--json', 'cron', 'show', KEY)).nextRun).toBe('2030-01-02T02:00:00.000Z');
  });

  it('replaces the template, starts a run by hand, and deschedules', async () => {
    const replaced = json(await cli('--json', 'cron', 'schedule', nightly({ cron: { schedule: '30 3 * * 1-5', collisionPolicy: 'CANCEL_NEW' } })));
    expect(replaced).toEqual({ job: KEY, cronSchedule: '30 3 * * 1-5' });
    const show = json<{ collisionPolicy: string; description: string }>(await cli('--json', 'cron', 'show', KEY));
    expect(show.collisionPolicy).toBe('CANCEL_NEW');
    expect(show.description).toMatch(/03:30/);

    const started = await cli('cron', 'start', KEY);
    expect(started).toMatchObject({ code: 0, stdout: `Started a run of cron job ${KEY}.\n` });
    expect(json(await cli('--json', 'cron', 'start', KEY))).toEqual({ job: KEY, started: true });

    const removed = await cli('cron', 'deschedule', KEY);
    expect(removed).toMatchObject({ code: 0, stdout: `Descheduled cron job ${KEY}.\n`, stderr: '' });
    const again = await cli('--json', 'cron', 'deschedule', KEY);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(json(again)).toEqual({ job: KEY, descheduled: false });
    expect((await cli('cron', 'deschedule', KEY)).stdout).toBe(`${KEY} is not a cron job: nothing to deschedule.\n`);

    const gone = await cli('cron', 'show', KEY);
    expect(gone.code).toBe(1);
    expect(oneErrorLine(gone)).toBe(`aurora-ts: ${KEY} is not a cron job on this scheduler`);
    const notCron = await cli('cron', 'start', KEY);
    // Nothing to act on: exit 1 and one line, as for show (the README's exit-code rule).
    expect(notCron.code).toBe(1);
    expect(oneErrorLine(notCron)).toBe(`aurora-ts: ${KEY} is not a cron job on this scheduler`);
  });

  it('a schedule Aurora would not accept is refused before anything is sent', async () => {
    const offline = cleanEnv({ AURORA_SCHEDULER_URL: 'http://127.0.0.1:1' });
    const sunday7 = await runCli(['cron', 'schedule', nightly({ cron: { schedule: '0 2 * * 7' } })], { env: offline });
    expect(sunday7.code).toBe(2);
    expect(oneErrorLine(sunday7)).toMatch(/cron\.schedule/);
    const macro = await runCli(['cron', 'schedule', nightly({ cron: { schedule: '@daily' } })], { env: offline });
    expect(macro.code).toBe(2);
    expect(oneErrorLine(macro)).toMatch(/cron\.schedule/);
  });
});
