/**
 * The plumbing of the local scheduler's integration tests, in one place: a real scheduler on
 * 127.0.0.1 port 0 with an executor file in a temp dir and settings that keep tests fast, a client on
 * it, a JobConfiguration factory, polling waits, and the error a rejected call carries.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraResponseError } from '../../src/client/errors.js';
import { ScheduleStatus, type JobConfiguration, type JobKey, type Resource, type ScheduledTask, type TaskConfig } from '../../src/gen/types.js';
import { startScheduler, type RunningScheduler, type SchedulerOptions } from '../../src/scheduler/index.js';
import { taskConfig } from './task-config.js';

/** One entry of a -custom_executor_config file, as Aurora reads it. */
export interface ExecutorEntry {
  executor: { name: string; command: { value: string; shell?: boolean }; resources?: unknown[] };
  task_prefix: string;
}

/** An executor that runs `command` through the shell. */
export function shellExecutor(name: string, command: string, taskPrefix = ''): ExecutorEntry {
  return { executor: { name, command: { value: command, shell: true } }, task_prefix: taskPrefix };
}

/** Writes `entries` as `executors.json` in a new temp dir; returns the file's path. */
export function writeExecutorsFile(entries: readonly ExecutorEntry[], prefix = 'aurora-ts-test-'): string {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), 'executors.json');
  writeFileSync(file, JSON.stringify(entries));
  return file;
}

export interface TestSchedulerOptions extends Omit<SchedulerOptions, 'executors'> {
  /** Executor entries (written to a temp file) or the path of an executor file. */
  executors: readonly ExecutorEntry[] | string;
}

export interface TestScheduler {
  scheduler: RunningScheduler;
  /** A client on the scheduler (binary protocol, no credentials). */
  client: AuroraClient;
  url: string;
  /** The scheduler's work directory: task sandboxes are `<workDir>/sandboxes/<taskId>`. */
  workDir: string;
  /** The executor file it was started with. */
  executorsFile: string;
  /** Stops the scheduler (killing its tasks) and removes the executor file this call wrote. */
  close(): Promise<void>;
}

/**
 * Starts a local scheduler on a free port: 4 CPUs, 4 GiB, 300 ms kill grace and no restart penalty
 * unless `options` say otherwise.
 */
export async function startTestScheduler(options: TestSchedulerOptions): Promise<TestScheduler> {
  const { executors, ...rest } = options;
  const executorsFile = typeof executors === 'string' ? executors : writeExecutorsFile(executors);
  const scheduler = await startScheduler({
    port: 0,
    cpus: 4,
    ramMb: 4096,
    killGraceMs: 300,
    throttle: { minRunningMs: 0, initialBackoffMs: 0, maxBackoffMs: 0 },
    ...rest,
    executors: executorsFile,
  });
  return {
    scheduler,
    client: new AuroraClient({ url: scheduler.url }),
    url: scheduler.url,
    workDir: scheduler.workDir,
    executorsFile,
    async close() {
      await scheduler.close();
      if (typeof executors !== 'string') rmSync(join(executorsFile, '..'), { recursive: true, force: true });
    },
  };
}

/** CPU, RAM and disk of every test job unless it says otherwise. */
export const SMALL_TASK: readonly Resource[] = [{ numCpus: 0.1 }, { ramMb: 16 }, { diskMb: 16 }];

export interface TestJobSpec {
  name: string;
  /** Default `www-data`. */
  role?: string;
  /** Default `devel`. */
  environment?: string;
  /** Default `sleeper`. */
  executor?: string;
  /** Executor data; default ''. */
  data?: string;
  /** Default 1. */
  instances?: number;
  /** Default false (a batch job). */
  service?: boolean;
  /** Default {@link SMALL_TASK}. */
  resources?: Resource[];
  /** Anything else of the task config; wins over the fields above. */
  task?: Partial<TaskConfig>;
}

/** A JobConfiguration owned by `tester`. */
export function testJob(spec: TestJobSpec): JobConfiguration {
  const key: JobKey = { role: spec.role ?? 'www-data', environment: spec.environment ?? 'devel', name: spec.name };
  return {
    key,
    owner: { user: 'tester' },
    instanceCount: spec.instances ?? 1,
    taskConfig: taskConfig({
      job: key,
      owner: { user: 'tester' },
      isService: spec.service ?? false,
      // A copy each time: a test that edits its job's resources must not edit the next job's.
      resources: spec.resources ?? SMALL_TASK.map((r) => ({ ...r })),
      executorConfig: { name: spec.executor ?? 'sleeper', data: spec.data ?? '' },
      ...spec.task,
    }),
  };
}

/**
 * Polls `probe` until it returns something other than undefined or false, and returns that;
 * fails naming `what` after `timeoutMs`.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** The job's tasks, only those in `statuses` when given. */
export async function tasksOf(client: AuroraClient, key: JobKey, statuses?: ScheduleStatus[]): Promise<ScheduledTask[]> {
  return (await client.getTasksStatus({ jobKeys: [key], statuses })).tasks ?? [];
}

/** Every status in which a task still counts as part of its job. */
/** The first of the job's tasks in `status`, once there is one. */
export async function waitForTask(client: AuroraClient, key: JobKey, status: ScheduleStatus): Promise<ScheduledTask> {
  return waitFor(ScheduleStatus[status], async () => (await tasksOf(client, key, [status]))[0]);
}

export const ACTIVE_STATUSES: readonly ScheduleStatus[] = [
  ScheduleStatus.PENDING,
  ScheduleStatus.THROTTLED,
  ScheduleStatus.ASSIGNED,
  ScheduleStatus.STARTING,
  ScheduleStatus.RUNNING,
  ScheduleStatus.KILLING,
  ScheduleStatus.RESTARTING,
];

/**
 * Waits until the job has exactly `count` active tasks, all RUNNING (and running executor data `data`
 * when given); returns them.
 */
export async function waitForRunning(client: AuroraClient, key: JobKey, count: number, data?: string): Promise<ScheduledTask[]> {
  return waitFor(`${count} RUNNING`, async () => {
    const active = await tasksOf(client, key, [...ACTIVE_STATUSES]);
    const settled = active.length === count && active.every((t) => t.status === ScheduleStatus.RUNNING && (data === undefined || t.assignedTask!.task!.executorConfig!.data === data));
    return settled ? active : undefined;
  });
}

/** Whether a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What `call` rejects with; fails the test when it resolves. */
export async function errorOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The AuroraResponseError `call` rejects with (the scheduler answered, with a code other than OK). */
export async function rejectionOf(call: Promise<unknown>): Promise<AuroraResponseError> {
  const error = await errorOf(call);
  expect(error).toBeInstanceOf(AuroraResponseError);
  return error as AuroraResponseError;
}
