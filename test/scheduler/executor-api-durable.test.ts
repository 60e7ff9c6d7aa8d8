/**
 * The local scheduler's agent as a raw Mesos v1 executor sees it, with a state directory and
 * `--authenticate_http_executors`: the test subscribes on behalf of a real task's executor process
 * (a shell that only sleeps), with the token and ids the agent put in that process' environment.
 * When ACKNOWLEDGED arrives the state directory holds what the update did (read from the database
 * then; that the acknowledgement waits for the store is shown with a held seam in
 * mesos-driver.test.ts); an update sent again in a re-SUBSCRIBE after a disconnection is taken once;
 * calls without the token are refused.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleStatus, type ScheduledTask } from '../../src/gen/types.js';
import { decodeStruct } from '../../src/protocol/index.js';
import { APPLICATION_JSON, type MesosJson } from '../../src/scheduler/agents/executor-api/index.js';
import { ExecutorClient, parseEnvLines, updateCall, uuidBytes } from '../support/executor-client.js';
import { shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForTask, type TestScheduler } from '../support/scheduler.js';

let local: TestScheduler;
let stateDir: string;
const logs: string[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'aurora-ts-exec-durable-'));
  local = await startTestScheduler({
    executors: [shellExecutor('quiet', 'env | grep ^MESOS_ > mesos.env; exec sleep 60', 'quiet-')],
    mesosExecutors: { mode: 'mesos', authenticateHttpExecutors: true },
    stateDir,
    onLog: (line) => logs.push(line),
  });
});

afterAll(async () => {
  await local?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** The task as the state directory holds it now (a second, read-only connection to its database). */
function storedTask(taskId: string): ScheduledTask {
  const db = new Database(join(stateDir, 'scheduler.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare<[string], { value: Buffer }>("SELECT value FROM state WHERE kind = 'task' AND key = ?").get(taskId);
    return decodeStruct<ScheduledTask>('binary', 'ScheduledTask', row!.value);
  } finally {
    db.close();
  }
}

const events = (task: ScheduledTask): string[] => task.taskEvents!.map((e) => `${ScheduleStatus[e.status!]}${e.message ? `: ${e.message}` : ''}`);

describe('a raw executor on a scheduler with a state directory and executor authentication', () => {
  it('acknowledges an update once it is stored, takes one carried in a re-SUBSCRIBE once, and refuses calls without the token', async () => {
    const config = testJob({ name: 'rawexec', executor: 'quiet', service: true });
    await local.client.createJob(config);
    const task = await waitForTask(local.client, config.key!, ScheduleStatus.STARTING);
    const taskId = task.assignedTask!.taskId!;
    const envText = await waitFor('mesos.env', () => {
      try {
        const text = readFileSync(join(local.workDir, 'sandboxes', taskId, 'mesos.env'), 'utf8');
        return text.includes('MESOS_AGENT_ENDPOINT=') ? text : undefined;
      } catch {
        return undefined;
      }
    });
    const env = parseEnvLines(envText);
    const token = env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN!;
    expect(token.split('.')).toHaveLength(3);
    const ids = { executorId: env.MESOS_EXECUTOR_ID!, frameworkId: env.MESOS_FRAMEWORK_ID! };
    expect(ids.executorId).toBe(`quiet-${taskId}`);

    // Without the token: refused, as an agent with --authenticate_http_executors does.
    const anonymous = await new ExecutorClient(env.MESOS_AGENT_ENDPOINT!).subscribe(ids, APPLICATION_JSON);
    expect(anonymous.status).toBe(401);

    const executor = new ExecutorClient(env.MESOS_AGENT_ENDPOINT!, { Authorization: `Bearer ${token}` });
    const first = await executor.subscribe(ids, APPLICATION_JSON, APPLICATION_JSON);
    expect(first.status).toBe(200);
    expect((await first.next()).type).toBe('SUBSCRIBED');
    const launch = await first.next();
    expect(((launch.launch as MesosJson).task as MesosJson).task_id).toEqual({ value: taskId });

    // TASK_RUNNING, then the executor goes away before reading any acknowledgement.
    const running = updateCall(ids, taskId, 'TASK_RUNNING', uuidBytes(), { message: 'raw executor up' });
    expect((await executor.call(running, APPLICATION_JSON)).status).toBe(202);
    first.close();

    // It comes back carrying the update it holds unacknowledged (twice, as a careless executor might).
    const status = (running.update as MesosJson).status as MesosJson;
    const again = await executor.subscribe(ids, APPLICATION_JSON, APPLICATION_JSON, { unacknowledged_updates: [{ status }, { status }] });
    expect((await again.next()).type).toBe('SUBSCRIBED');
    const ack = await again.next();
    expect(ack).toEqual({ type: 'ACKNOWLEDGED', acknowledged: { task_id: { value: taskId }, uuid: status.uuid } });
    // Acknowledged means stored: the state directory holds RUNNING with the executor's message.
    expect(events(storedTask(taskId)).slice(-2)).toEqual(['STARTING', 'RUNNING: raw executor up']);
    expect(await again.next()).toEqual(ack);

    const finished = updateCall(ids, taskId, 'TASK_FINISHED', uuidBytes(), { message: 'raw executor done' });
    expect((await executor.call(finished, APPLICATION_JSON)).status).toBe(202);
    // Had the first stream closed before its acknowledgement was written, that one arrives here too.
    let next = await again.next();
    while (JSON.stringify(next) === JSON.stringify(ack)) next = await again.next();
    expect((next.acknowledged as MesosJson).uuid).toBe(((finished.update as MesosJson).status as MesosJson).uuid);
    expect(ScheduleStatus[storedTask(taskId).status!]).toBe('FINISHED');
    expect(events(storedTask(taskId)).at(-1)).toBe('FINISHED: raw executor done');
    again.close();

    // Taken once each, as the scheduler reports the task too.
    const [reported] = await tasksOf(local.client, config.key!, [ScheduleStatus.FINISHED]);
    expect(events(reported!)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING: raw executor up', 'FINISHED: raw executor done']);
    // The token is the executor's alone: never in the scheduler's log lines.
    expect(logs.join('\n')).not.toContain(token);
  });
});
