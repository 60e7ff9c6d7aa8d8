/**
 * The Mesos agent driver over the real process driver, with its `persist` seam held open: an
 * executor's update is taken by the task at once but acknowledged only after the scheduler has
 * stored it, and not at all when storing fails (so the executor sends it again). With a checkpoint
 * (an in-memory one, as a state directory keeps it): 503 until recovered(), the same port after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAgentDriver } from '../../src/scheduler/agents/driver.js';
import { APPLICATION_PROTOBUF, type AgentCheckpoint, type CheckpointedExecutor, type MesosJson } from '../../src/scheduler/agents/executor-api/index.js';
import { MesosAgentDriver } from '../../src/scheduler/agents/mesos-driver.js';
import type { RunningTask } from '../../src/scheduler/runner/index.js';
import { ExecutorClient, updateCall, uuidBytes } from '../support/executor-client.js';
import { waitFor } from '../support/scheduler.js';

let root: string;
let driver: MesosAgentDriver;
/** Each call of the persist seam, resolved or rejected by the test. */
const persists: { resolve: () => void; reject: (error: Error) => void }[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'aurora-ts-mesos-driver-'));
  driver = new MesosAgentDriver(new LocalAgentDriver(), {
    mode: 'mesos',
    persist: () => new Promise<void>((resolve, reject) => persists.push({ resolve, reject })),
  });
  await driver.start();
});

afterAll(async () => {
  await driver?.close();
  rmSync(root, { recursive: true, force: true });
});

function launch(taskId: string, onRunning: (message?: string) => void): RunningTask {
  const executorId = `exec-${taskId}`;
  return driver.launch(
    {
      taskId,
      executorId,
      sandboxDir: join(root, taskId),
      command: { value: 'exec sleep 30', shell: true },
      killGraceMs: 200,
      mesos: {
        taskInfo: {
          name: 'www-data/devel/probe',
          task_id: { value: taskId },
          agent_id: { value: 'agent-1' },
          executor: { executor_id: { value: executorId }, name: 'probe', command: { value: 'exec sleep 30', shell: true } },
        },
      },
    },
    { onRunning: (_pid, message) => onRunning(message) },
  );
}

describe('MesosAgentDriver: acknowledgements wait for the scheduler to store the update', () => {
  it('takes TASK_RUNNING at once, sends ACKNOWLEDGED only after persist resolves, and none when it rejects', async () => {
    const seen: (string | undefined)[] = [];
    const task = launch('task-ack', (message) => seen.push(message));
    await task.started;
    const ids = { executorId: 'exec-task-ack', frameworkId: 'aurora-ts-local' };
    const executor = new ExecutorClient(driver.agentEndpoint);
    const sub = await executor.subscribe(ids, APPLICATION_PROTOBUF, APPLICATION_PROTOBUF);
    expect((await sub.next()).type).toBe('SUBSCRIBED');
    expect((await sub.next()).type).toBe('LAUNCH');

    const uuid = uuidBytes();
    expect((await executor.call(updateCall(ids, 'task-ack', 'TASK_RUNNING', uuid, { message: 'up' }), APPLICATION_PROTOBUF)).status).toBe(202);
    await waitFor('the update taken', () => (persists.length === 1 ? true : undefined));
    expect(seen).toEqual(['up']);
    // Events keep their order on the stream: a MESSAGE sent now arrives before any acknowledgement.
    driver.api.message(ids.executorId, Buffer.from('marker'));
    expect((await sub.next()).type).toBe('MESSAGE');
    persists[0]!.resolve();
    expect(await sub.next()).toEqual({ type: 'ACKNOWLEDGED', acknowledged: { task_id: { value: 'task-ack' }, uuid: uuid.toString('base64') } });

    // Storing fails: no acknowledgement; the same update sent again is taken again and then acknowledged.
    const second = uuidBytes();
    const call = updateCall(ids, 'task-ack', 'TASK_RUNNING', second, { message: 'still up' });
    expect((await executor.call(call, APPLICATION_PROTOBUF)).status).toBe(202);
    await waitFor('the second update taken', () => (persists.length === 2 ? true : undefined));
    persists[1]!.reject(new Error('disk full'));
    driver.api.message(ids.executorId, Buffer.from('marker'));
    expect((await sub.next()).type).toBe('MESSAGE');
    expect((await executor.call(call, APPLICATION_PROTOBUF)).status).toBe(202);
    await waitFor('the retry taken', () => (persists.length === 3 ? true : undefined));
    persists[2]!.resolve();
    expect(((await sub.next()).acknowledged as MesosJson).uuid).toBe(second.toString('base64'));
    sub.close();
    await waitFor('the stream closed', () => (driver.api.isSubscribed(ids.executorId) ? undefined : true));
    // No longer listening: the kill goes to the process, which is the task's end.
    expect((await task.kill('done')).state).toBe('KILLED');
  });
});

describe('with a checkpoint (a state directory)', () => {
  /** An in-memory checkpoint, as the state directory's section keeps it. */
  function memoryCheckpoint(): AgentCheckpoint {
    const executors = new Map<string, CheckpointedExecutor>();
    return {
      port: undefined,
      savePort(port) {
        (this as { port: number | undefined }).port = port;
      },
      executorSecret: undefined,
      saveExecutorSecret() {},
      executors,
      saveExecutor: (taskId, executor) => (executor ? executors.set(taskId, executor) : executors.delete(taskId)),
    };
  }
  // A fresh connection each time: a pooled one would be the closed agent's.
  const post = (endpoint: string) => fetch(`http://${endpoint}/api/v1/executor`, { method: 'POST', headers: { Connection: 'close' } });

  it('answers 503 "Agent has not finished recovery" until recovered(), and a restarted agent serves on the same port', async () => {
    const checkpoint = memoryCheckpoint();
    const first = new MesosAgentDriver(new LocalAgentDriver(), { checkpoint });
    await first.start();
    const endpoint = first.agentEndpoint;
    expect(checkpoint.port).toBe(Number(endpoint.split(':')[1]));
    const recovering = await post(endpoint);
    expect([recovering.status, await recovering.text()]).toEqual([503, 'Agent has not finished recovery']);
    first.recovered();
    const served = await post(endpoint);
    expect([served.status, await served.text()]).toEqual([400, "Expecting 'Content-Type' to be present"]);
    await first.close();

    const second = new MesosAgentDriver(new LocalAgentDriver(), { checkpoint });
    await second.start();
    try {
      expect(second.agentEndpoint).toBe(endpoint);
      expect((await post(endpoint)).status).toBe(503);
    } finally {
      await second.close();
    }
  });
});
