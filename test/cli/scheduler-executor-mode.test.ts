/**
 * `scheduler start --executor-mode`: a bad mode is refused in one line (exit 2); a detached scheduler
 * with `--executor-mode mesos` applies Mesos' registration timeout to an executor that never subscribes.
 */
import { describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus } from '../../src/gen/types.js';
import { tasksOf, testJob, waitFor } from '../support/scheduler.js';
import { cleanEnv, EXECUTORS, json, oneErrorLine, runCli } from './helpers.js';

describe('scheduler start --executor-mode', () => {
  it('refuses a mode other than auto or mesos, and a bad registration timeout, with one line, exit 2', async () => {
    const env = cleanEnv();
    const mode = await runCli(['scheduler', 'start', '--port', '0', '--executor-mode', 'strict'], { env });
    expect(mode.code).toBe(2);
    expect(oneErrorLine(mode)).toContain('Allowed choices are auto, mesos');
    const timeout = await runCli(['scheduler', 'start', '--port', '0', '--executor-registration-timeout', 'soon'], { env });
    expect(timeout.code).toBe(2);
    expect(oneErrorLine(timeout)).toContain('expected a duration');
    const transient = await runCli(['scheduler', 'start', '--port', '0', '--transient-task-state-timeout', '-1'], { env });
    expect(transient.code).toBe(2);
    expect(oneErrorLine(transient)).toContain('--transient-task-state-timeout');
  });

  it('with mesos, a detached scheduler fails an executor that never subscribes after --executor-registration-timeout', async () => {
    const env = cleanEnv();
    const start = await runCli(['--json', 'scheduler', 'start', '--detach', '--port', '0', '--custom-executor-config', EXECUTORS, '--executor-mode', 'mesos', '--executor-registration-timeout', '1secs'], { env });
    expect(start.code, start.stderr).toBe(0);
    const { url } = json<{ url: string }>(start);
    try {
      const client = new AuroraClient({ url });
      const job = testJob({ name: 'nosub', executor: 'hello-executor' });
      await client.createJob(job);
      const [failed] = await waitFor('FAILED', async () => {
        const tasks = await tasksOf(client, job.key!, [ScheduleStatus.FAILED]);
        return tasks.length > 0 ? tasks : undefined;
      });
      expect(failed!.taskEvents!.at(-1)!.message).toContain('Executor did not register within 1secs');
    } finally {
      expect((await runCli(['scheduler', 'stop'], { env })).code).toBe(0);
    }
  });
});
