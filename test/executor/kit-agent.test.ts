/**
 * The kit against the project's own agent side of the executor API (ExecutorApi), served in-process
 * on a real port that is stopped and started again, as an agent restart looks to an executor: a
 * checkpointing executor re-subscribes with backoff, through the agent's 503s while it recovers,
 * carrying the update the old agent never acknowledged, which the new one takes once; it gives up
 * after MESOS_RECOVERY_TIMEOUT; without checkpointing it exits when disconnected. Every call carries
 * the agent's Bearer token. KILL follows the TaskInfo's kill policy. The executor is
 * test/fixtures/kit-executor/executor.mjs, run from dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeStruct } from '../../src/protocol/index.js';
import { ExecutorApi, type MesosJson } from '../../src/scheduler/agents/executor-api/index.js';
import { pidAlive, waitFor } from '../support/scheduler.js';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/kit-executor/executor.mjs');
const FRAMEWORK = 'framework-1';
const EXECUTOR = 'kit-exec-1';
const TASK = 'task-1';

const executorInfo: MesosJson = { executor_id: { value: EXECUTOR }, framework_id: { value: FRAMEWORK }, command: { value: 'node' } };

function taskInfo(cmd: string, extra: MesosJson = {}): MesosJson {
  const assigned = { taskId: TASK, instanceId: 0, task: { job: { role: 'www-data', environment: 'devel', name: 'resub' }, executorConfig: { name: 'kit', data: JSON.stringify({ cmd }) } } };
  return { name: 'www-data/devel/resub', task_id: { value: TASK }, agent_id: { value: 'agent-1' }, executor: executorInfo, data: encodeStruct('binary', 'AssignedTask', assigned).toString('base64'), ...extra };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Agent {
  api: ExecutorApi;
  server: Server;
  port: number;
  updates: MesosJson[];
  /** Authorization headers and answers of every request, in order. */
  requests: { authorization: string | undefined; status: number }[];
  stop(): Promise<void>;
}

/** An agent's executor API on `port` (0: any); updates in `hold` states are never acknowledged. */
async function startAgent(port: number, hold: string[] = []): Promise<Agent> {
  const updates: MesosJson[] = [];
  const requests: Agent['requests'] = [];
  const api = new ExecutorApi(
    { frameworkInfo: { user: 'tester', name: 'Aurora', id: { value: FRAMEWORK }, checkpoint: true }, agentInfo: () => ({ hostname: 'localhost' }), heartbeatMs: 100 },
    {
      update: (_executorId, status) => {
        updates.push(status);
        return hold.includes(String(status.state)) ? new Promise<void>(() => undefined) : Promise.resolve();
      },
    },
  );
  api.register(executorInfo);
  const server = createServer((req, res) => {
    res.on('finish', () => requests.push({ authorization: req.headers.authorization, status: res.statusCode }));
    if (!api.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    api,
    server,
    port: (server.address() as AddressInfo).port,
    updates,
    requests,
    async stop() {
      api.closeAll();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Executor {
  child: ChildProcess;
  sandbox: string;
  exited: Promise<number | null>;
  stderr: () => string;
  stdout: () => string;
}

function startExecutor(port: number, media: string, env: Record<string, string>): Executor {
  const sandbox = mkdtempSync(join(tmpdir(), 'aurora-ts-kit-resub-'));
  const child = spawn(process.execPath, [FIXTURE, media, 'default'], {
    cwd: sandbox,
    env: {
      PATH: process.env.PATH,
      MESOS_AGENT_ENDPOINT: `127.0.0.1:${port}`,
      MESOS_FRAMEWORK_ID: FRAMEWORK,
      MESOS_EXECUTOR_ID: EXECUTOR,
      MESOS_SANDBOX: sandbox,
      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '2secs',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanup.push(() => {
    child.kill('SIGKILL');
    rmSync(sandbox, { recursive: true, force: true });
  });
  return { child, sandbox, exited, stderr: () => err, stdout: () => out };
}

const stateOf = (status: MesosJson): string => String(status.state);


describe.each(['json', 'protobuf'])('re-subscription (%s)', (media) => {
  it('after an agent restart: re-subscribes through 503s and the unacknowledged update is taken once', async () => {
    const first = await startAgent(0, ['TASK_FINISHED']);
    cleanup.push(() => first.stop());
    first.api.launch(EXECUTOR, taskInfo('sleep 0.2'));
    const executor = startExecutor(first.port, media, {
      MESOS_CHECKPOINT: '1',
      MESOS_SUBSCRIPTION_BACKOFF_MAX: '200ms',
      MESOS_RECOVERY_TIMEOUT: '20secs',
      MESOS_EXECUTOR_AUTHENTICATION_TOKEN: 'sekrit-token',
    });
    await waitFor('TASK_FINISHED at the first agent', () => first.updates.some((s) => stateOf(s) === 'TASK_FINISHED'));
    const held = first.updates.find((s) => stateOf(s) === 'TASK_FINISHED')!;
    expect(first.updates.map(stateOf)).toEqual(['TASK_RUNNING', 'TASK_FINISHED']);

    // The agent goes away; the new one comes up on the same port, recovering (503) for a while.
    await first.stop();
    await new Promise((r) => setTimeout(r, 300));
    const second = await startAgent(first.port);
    cleanup.push(() => second.stop());
    second.api.recovering = true;
    await waitFor('a SUBSCRIBE answered 503', () => second.requests.some((r) => r.status === 503));
    second.api.recovering = false;

    expect(await executor.exited).toBe(0);
    // Taken once, with the uuid it was first sent with, and the task's updates end there.
    expect(second.updates.map(stateOf)).toEqual(['TASK_FINISHED']);
    expect(second.updates[0]!.uuid).toBe(held.uuid);
    expect(second.updates[0]!.message).toBe('Command exited with status 0');
    expect(executor.stdout()).toContain('exit 0: every task has ended');
    expect(executor.stderr()).toMatch(/executor: disconnected \(.*\); re-subscribing for up to 20000 ms/);
    // The agents sent HEARTBEAT every 100 ms: known, and quietly taken.
    expect(executor.stderr()).not.toContain('ignoring event');
    // Every call carried the agent's token; no log line did.
    const requests = [...first.requests, ...second.requests];
    expect(requests.length).toBeGreaterThan(3);
    expect(new Set(requests.map((r) => r.authorization))).toEqual(new Set(['Bearer sekrit-token']));
    expect(executor.stderr() + executor.stdout()).not.toContain('sekrit-token');
  });

  it('gives up after MESOS_RECOVERY_TIMEOUT: kills its command and exits 1', async () => {
    const agent = await startAgent(0);
    cleanup.push(() => agent.stop());
    agent.api.launch(EXECUTOR, taskInfo('exec sleep 600'));
    const executor = startExecutor(agent.port, media, { MESOS_CHECKPOINT: '1', MESOS_SUBSCRIPTION_BACKOFF_MAX: '100ms', MESOS_RECOVERY_TIMEOUT: '1secs' });
    await waitFor('TASK_RUNNING', () => agent.updates.some((s) => stateOf(s) === 'TASK_RUNNING'));
    const pid = Number(readFileSync(join(executor.sandbox, 'command.pid'), 'utf8'));
    await agent.stop();
    expect(await executor.exited).toBe(1);
    expect(executor.stdout()).toMatch(/exit 1: could not subscribe within MESOS_RECOVERY_TIMEOUT \(1000 ms\): /);
    await waitFor('the command to be gone', () => !pidAlive(pid));
  });

  it('without checkpointing, exits 1 as soon as the agent is gone', async () => {
    const agent = await startAgent(0);
    cleanup.push(() => agent.stop());
    agent.api.launch(EXECUTOR, taskInfo('exec sleep 600'));
    const executor = startExecutor(agent.port, media, { MESOS_CHECKPOINT: '0' });
    await waitFor('TASK_RUNNING', () => agent.updates.some((s) => stateOf(s) === 'TASK_RUNNING'));
    await agent.stop();
    expect(await executor.exited).toBe(1);
    expect(executor.stdout()).toMatch(/exit 1: disconnected from the agent without checkpointing \(MESOS_CHECKPOINT is not 1\): /);
  });

  it('KILL: SIGTERM to the process group, SIGKILL after the TaskInfo kill policy grace, then TASK_KILLED', async () => {
    const agent = await startAgent(0);
    cleanup.push(() => agent.stop());
    // Every process of the group ignores SIGTERM: only the SIGKILL after the grace ends it.
    agent.api.launch(EXECUTOR, taskInfo("trap '' TERM; sleep 600 & wait", { kill_policy: { grace_period: { nanoseconds: 800_000_000 } } }));
    const executor = startExecutor(agent.port, media, { MESOS_CHECKPOINT: '1', MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '30secs' });
    await waitFor('TASK_RUNNING', () => agent.updates.some((s) => stateOf(s) === 'TASK_RUNNING'));
    const pid = Number(readFileSync(join(executor.sandbox, 'command.pid'), 'utf8'));
    const killedAt = Date.now();
    agent.api.kill(EXECUTOR, TASK);
    await waitFor('TASK_KILLED', () => agent.updates.some((s) => stateOf(s) === 'TASK_KILLED'), 10_000);
    const took = Date.now() - killedAt;
    // Not before the policy's 0.8 s, and well before the executor's 30 s shutdown grace.
    expect(took).toBeGreaterThanOrEqual(800);
    expect(took).toBeLessThan(10_000);
    expect(pidAlive(pid)).toBe(false);
    expect(await executor.exited).toBe(0);
  });
});
