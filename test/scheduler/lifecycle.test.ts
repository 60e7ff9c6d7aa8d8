/**
 * The local scheduler end to end, through the real client over real HTTP, with tasks running as real
 * processes: create a job on a custom executor, watch it reach RUNNING, read it back, kill it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import type { AuroraResponseError } from '../../src/client/errors.js';
import { ResponseCode, ScheduleStatus, type JobConfiguration, type ScheduledTask, type TaskConfig } from '../../src/gen/types.js';
import { decodeStruct } from '../../src/protocol/index.js';
import { pidAlive, rejectionOf, shellExecutor, SMALL_TASK, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

let local: TestScheduler;
let client: AuroraClient;

beforeAll(async () => {
  local = await startTestScheduler({
    executors: [
      shellExecutor('sleeper', 'echo "started $AURORA_TASK_ID"; exec sleep 60', 'sleep-'),
      shellExecutor('exits', 'echo bye; exit "$(cat "$AURORA_EXECUTOR_DATA")"', 'exit-'),
      shellExecutor('stubborn', "trap '' TERM; echo ready; while true; do sleep 0.1; done"),
    ],
    throttle: { minRunningMs: 2000, initialBackoffMs: 300, maxBackoffMs: 1000 },
  });
  client = local.client;
});

afterAll(async () => {
  await local?.close();
});

/** A www-data/devel batch job with a named port, two instances unless told otherwise. */
const job = (name: string, executor: string, task: Partial<TaskConfig> = {}, instances = 2, data = ''): JobConfiguration =>
  testJob({ name, executor, instances, data, resources: [...SMALL_TASK, { namedPort: 'http' }], task });

describe('local scheduler', () => {
  it('runs a custom-executor job as real processes, reads it back, and kills it to KILLED with no process left', async () => {
    const config = job('sleepy', 'sleeper');
    await client.createJob(config);
    const running = await waitForRunning(client, config.key!, 2);
    const first = running[0]!.assignedTask!;
    expect(first.taskId).toMatch(/^www-data-devel-sleepy-[01]-[0-9a-f-]{36}$/);
    expect(first.assignedPorts!.http).toBeGreaterThan(0);
    expect(running[0]!.taskEvents!.map((e) => ScheduleStatus[e.status!])).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING']);

    // The executor sees its task: Thrift-binary AssignedTask in the sandbox, and Mesos' environment.
    const sandbox = join(local.workDir, 'sandboxes', first.taskId!);
    await waitFor('stdout', async () => (readFileSync(join(sandbox, 'stdout'), 'utf8').includes('started') ? true : undefined));
    expect(readFileSync(join(sandbox, 'stdout'), 'utf8')).toContain(`started ${first.taskId}`);
    const assigned = decodeStruct<typeof first>('binary', 'AssignedTask', readFileSync(join(sandbox, '.aurora/assigned_task.thrift')));
    expect(assigned.taskId).toBe(first.taskId);
    expect(assigned.task!.executorConfig!.name).toBe('sleeper');

    const jobs = await client.getJobs('www-data');
    expect(jobs.configs!.map((c) => c.key!.name)).toContain('sleepy');
    const summary = await client.getJobSummary('www-data');
    const mine = summary.summaries!.find((s) => s.job!.key!.name === 'sleepy')!;
    expect(mine.stats!.activeTaskCount).toBe(2);
    const configSummary = await client.getConfigSummary(config.key!);
    expect(configSummary.summary!.groups).toHaveLength(1);
    expect(configSummary.summary!.groups![0]!.instances).toEqual([{ first: 0, last: 1 }]);
    const withoutConfigs = await client.getTasksWithoutConfigs({ jobKeys: [config.key!] });
    expect(withoutConfigs.tasks![0]!.assignedTask!.task!.executorConfig!.data).toBeUndefined();

    const pids = await readPids(running);
    await client.killTasks(config.key!, [], 'test done');
    const killed = await waitFor('KILLED', async () => {
      const t = await tasksOf(client, config.key!);
      return t.every((x) => x.status === ScheduleStatus.KILLED) ? t : undefined;
    });
    expect(killed[0]!.taskEvents!.map((e) => ScheduleStatus[e.status!]).slice(-2)).toEqual(['KILLING', 'KILLED']);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect((await client.getJobs('www-data')).configs!.map((c) => c.key!.name)).not.toContain('sleepy');
  });

  it('answers INVALID_REQUEST for an unknown executor and a duplicate job, and JSON clients work too', async () => {
    const error = await rejectionOf(client.createJob(job('nope', 'no-such-executor')));
    expect(error.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(error.details).toEqual(["Configuration for executor 'no-such-executor' doesn't exist."]);

    const json = new AuroraClient({ url: local.url, protocol: 'json' });
    const config = job('twice', 'sleeper', {}, 1);
    await json.createJob(config);
    const again = await json.createJob(config).catch((e: unknown) => e);
    expect((again as AuroraResponseError).details).toEqual(['Job www-data/devel/twice already exists']);
    await json.killTasks(config.key!, [], 'cleanup');
  });

  it('records exit status: 0 → FINISHED, 3 → FAILED with the message', async () => {
    const ok = job('exit0', 'exits', {}, 1, '0');
    const bad = job('exit3', 'exits', {}, 1, '3');
    await client.createJob(ok);
    await client.createJob(bad);
    const finished = await waitFor('FINISHED', async () => (await tasksOf(client, ok.key!, [ScheduleStatus.FINISHED]))[0]);
    expect(finished.taskEvents!.at(-1)!.message).toBe('Command exited with status 0');
    const failed = await waitFor('FAILED', async () => (await tasksOf(client, bad.key!, [ScheduleStatus.FAILED]))[0]);
    expect(failed.taskEvents!.at(-1)!.message).toBe('Command exited with status 3');
    expect(failed.failureCount).toBe(1);
    // maxTaskFailures defaults to 1: no second attempt.
    await new Promise((r) => setTimeout(r, 300));
    expect(await tasksOf(client, bad.key!)).toHaveLength(1);
  });

  it('restarts a failing service with a new task id and ancestorId, throttling it', async () => {
    const config = job('flappy', 'exits', { isService: true }, 1, '1');
    await client.createJob(config);
    const second = await waitFor('a successor', async () => {
      const all = await tasksOf(client, config.key!);
      return all.find((t) => t.ancestorId !== undefined && t.status !== ScheduleStatus.THROTTLED && t.taskEvents!.some((e) => e.status === ScheduleStatus.THROTTLED));
    });
    const all = await tasksOf(client, config.key!);
    const ancestor = all.find((t) => t.assignedTask!.taskId === second.ancestorId)!;
    expect(ancestor.status).toBe(ScheduleStatus.FAILED);
    expect(second.assignedTask!.taskId).not.toBe(ancestor.assignedTask!.taskId);
    expect(second.failureCount).toBeGreaterThanOrEqual(1);
    await client.killTasks(config.key!, [], 'stop flapping');
  });

  it('kills an executor that ignores SIGTERM after the grace period', async () => {
    const config = job('stubborn', 'stubborn', {}, 1);
    await client.createJob(config);
    const [task] = await waitForRunning(client, config.key!, 1);
    const pids = await readPids([task!]);
    const started = Date.now();
    await client.killTasks(config.key!, [], 'grace');
    await waitFor('KILLED', async () => ((await tasksOf(client, config.key!))[0]!.status === ScheduleStatus.KILLED ? true : undefined));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it('keeps jobs that do not fit PENDING with a pending reason', async () => {
    const config = job('huge', 'sleeper', { resources: [{ numCpus: 64 }, { ramMb: 16 }, { diskMb: 16 }] }, 1);
    await client.createJob(config);
    const reasons = await waitFor('a reason', async () => {
      const r = (await client.getPendingReason({ jobKeys: [config.key!] })).reasons ?? [];
      return r.length === 1 && r[0]!.reason ? r : undefined;
    });
    expect(reasons[0]!.reason).toBe('Insufficient: CPU');
    await client.killTasks(config.key!, [], 'too big');
    // Pending tasks are deleted when killed, as in Aurora.
    expect(await tasksOf(client, config.key!)).toHaveLength(0);
  });

  it('answers every unimplemented and recovery RPC with a Response, never HTTP 500', async () => {
    const error = await rejectionOf(client.stageRecovery('backup-1'));
    expect(error.details[0]).toContain('stageRecovery is not supported');
  });
});

/**
 * The executor pids, from the process table: processes carrying the task's marker. A task is RUNNING
 * once its executor has exec'd, so every RUNNING task has one.
 */
async function readPids(tasks: ScheduledTask[]): Promise<number[]> {
  const ids = new Set(tasks.map((t) => t.assignedTask!.taskId!));
  const found = executorPids(ids);
  expect(found.tasks.size).toBe(ids.size);
  const { pids } = found;
  expect(pids.length).toBeGreaterThan(0);
  expect(existsSync(`/proc/${pids[0]}`)).toBe(true);
  return pids;
}

function executorPids(ids: ReadonlySet<string>): { pids: number[]; tasks: Set<string> } {
  const pids: number[] = [];
  const tasks = new Set<string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
      const match = /(?:^|\0)AURORA_TASK_ID=([^\0]+)/.exec(env);
      if (match && ids.has(match[1]!)) {
        pids.push(Number(entry));
        tasks.add(match[1]!);
      }
    } catch {
      // gone already, or not ours to read
    }
  }
  return { pids, tasks };
}
