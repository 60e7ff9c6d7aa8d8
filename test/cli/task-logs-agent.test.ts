/**
 * `task logs` against a cluster whose task files live on Mesos agents, as on Aurora on Mesos: the
 * CLI reads clusters.json (`agent_port`, `custom_executor_config`), finds the task's agent from
 * its slaveHost, takes the agent's credentials from ~/.netrc and reads the custom executor's
 * sandbox through the files API of the Mesos agent stand-in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMesosAgent, type MesosAgentStandIn } from '../support/mesos-agent.js';
import { shellExecutor, startTestScheduler, testJob, waitForRunning, type TestScheduler } from '../support/scheduler.js';
import { cleanEnv, oneErrorLine, runCli } from './helpers.js';

let local: TestScheduler;
let agent: MesosAgentStandIn;
let env: NodeJS.ProcessEnv;
const key = 'mesos/www-data/devel/web/0';

beforeAll(async () => {
  // Tasks placed on "127.0.0.1": the host the stand-in agent listens on.
  local = await startTestScheduler({ executors: [shellExecutor('echoer', 'echo hello from the agent; echo oops >&2; sleep 60', 'echoer-')], hostname: '127.0.0.1' });
  await local.client.createJob(testJob({ name: 'web', executor: 'echoer', service: true }));
  const [task] = await waitForRunning(local.client, { role: 'www-data', environment: 'devel', name: 'web' }, 1);
  const taskId = task!.assignedTask!.taskId!;
  agent = await startMesosAgent({ credentials: { username: 'ops', password: 'agent-secret' } });
  agent.attach({ frameworkId: 'aurora-fw-0001', executorId: `echoer-${taskId}`, directory: join(local.workDir, 'sandboxes', taskId), taskIds: [taskId] });
  env = cleanEnv();
  const home = env['HOME']!;
  mkdirSync(join(home, '.aurora'));
  writeFileSync(
    join(home, '.aurora', 'clusters.json'),
    JSON.stringify([{ name: 'mesos', scheduler_uri: local.url, agent_port: agent.port, custom_executor_config: local.executorsFile }]),
  );
  writeFileSync(join(home, '.netrc'), 'machine 127.0.0.1 login ops password agent-secret\n', { mode: 0o600 });
}, 30_000);

afterAll(async () => {
  await agent?.close();
  await local?.close();
});

describe('task logs from a Mesos agent', () => {
  it("prints a custom executor's stdout and stderr read from the task's agent", async () => {
    const stdout = await runCli(['task', 'logs', key, '--source', 'agent'], { env });
    expect(stdout).toMatchObject({ code: 0, stdout: 'hello from the agent\n', stderr: '' });
    const stderr = await runCli(['task', 'logs', key, '--source', 'agent', '--stderr'], { env });
    expect(stderr).toMatchObject({ code: 0, stdout: 'oops\n' });
    // Every agent request carried the agent's own credentials from ~/.netrc.
    expect(agent.requests.some((r) => r.startsWith(`GET /files/read?path=%2Fframeworks%2Faurora-fw-0001%2Fexecutors%2Fechoer-`))).toBe(true);
    expect(new Set(agent.authorizations)).toEqual(new Set([`Basic ${Buffer.from('ops:agent-secret').toString('base64')}`]));
  });

  it('says which file is missing, and exits 1', async () => {
    const missing = await runCli(['task', 'logs', key, '--source', 'agent', '--file', 'app.log'], { env });
    expect(missing.code).toBe(1);
    expect(oneErrorLine(missing)).toMatch(new RegExp(`^aurora-ts: app.log of task \\S+ is not available: the Mesos agent at 127.0.0.1:${agent.port} has no such file in the task's sandbox$`));
  });

  it('--follow prints until the task ends', { timeout: 30_000 }, async () => {
    const following = runCli(['task', 'logs', key, '--source', 'agent', '--follow'], { env, timeoutMs: 25_000 });
    await new Promise((r) => setTimeout(r, 1500));
    await local.client.killTasks({ role: 'www-data', environment: 'devel', name: 'web' }, [0], 'stop following');
    const result = await following;
    expect(result).toMatchObject({ code: 0, stdout: 'hello from the agent\n' });
  });
});
