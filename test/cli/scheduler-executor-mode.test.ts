/**
 * `scheduler start --executor-mode`: a bad mode is refused in one line (exit 2); a detached scheduler
 * with `--executor-mode mesos` applies Mesos' registration timeout to an executor that never subscribes;
 * one with `--authenticate-http-executors` gives each executor a token and refuses calls without it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus } from '../../src/gen/types.js';
import { APPLICATION_JSON } from '../../src/scheduler/agents/executor-api/index.js';
import { ExecutorClient, parseEnvLines } from '../support/executor-client.js';
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

  it('with --authenticate-http-executors, a detached scheduler gives each executor its token and refuses executor API calls without it', async () => {
    const env = cleanEnv();
    const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-exec-auth-'));
    const executors = join(dir, 'executors.json');
    const dump = join(dir, 'env.txt');
    writeFileSync(executors, JSON.stringify([{ executor: { name: 'envdump', command: { value: `env | grep ^MESOS_ > ${dump}.part; mv ${dump}.part ${dump}; exec sleep 30`, shell: true } }, task_prefix: 'dump-' }]));
    const start = await runCli(['--json', 'scheduler', 'start', '--detach', '--port', '0', '--custom-executor-config', executors, '--authenticate-http-executors'], { env });
    expect(start.code, start.stderr).toBe(0);
    const { url, log } = json<{ url: string; log: string }>(start);
    try {
      await new AuroraClient({ url }).createJob(testJob({ name: 'authdump', executor: 'envdump' }));
      const text = await waitFor('the executor environment', () => {
        try {
          return readFileSync(dump, 'utf8');
        } catch {
          return undefined;
        }
      });
      const vars = parseEnvLines(text);
      const ids = { executorId: vars.MESOS_EXECUTOR_ID!, frameworkId: vars.MESOS_FRAMEWORK_ID! };
      expect((await new ExecutorClient(vars.MESOS_AGENT_ENDPOINT!).subscribe(ids, APPLICATION_JSON)).status).toBe(401);
      const sub = await new ExecutorClient(vars.MESOS_AGENT_ENDPOINT!, { Authorization: `Bearer ${vars.MESOS_EXECUTOR_AUTHENTICATION_TOKEN}` }).subscribe(ids, APPLICATION_JSON);
      expect(sub.status).toBe(200);
      expect((await sub.next()).type).toBe('SUBSCRIBED');
      sub.close();
    } finally {
      expect((await runCli(['scheduler', 'stop'], { env })).code).toBe(0);
      // The token is the executor's alone: not in what the scheduler printed, nor in its log.
      const token = readFileSync(dump, 'utf8').match(/^MESOS_EXECUTOR_AUTHENTICATION_TOKEN=(.+)$/m)![1]!;
      expect(start.stdout + start.stderr + readFileSync(log, 'utf8')).not.toContain(token);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
