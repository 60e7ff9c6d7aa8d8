/**
 * A real, independent Mesos v1 executor (built on mesos-go's own library, Debian's
 * golang-github-mesos-mesos-go-dev) run as a custom executor by a real local scheduler, in both media
 * types: the task goes RUNNING because the executor said so, FINISHED or KILLED as it reports, and
 * the TaskInfo it received is the one Aurora builds. Mesos' rules: an executor that never subscribes
 * fails after the registration timeout; one that ignores KILL is sent KILL again and is ended by
 * SHUTDOWN when the scheduler stops, or by the transient state timeout (LOST, SHUTDOWN, SIGKILL).
 * After a scheduler restart on the same state directory the executor subscribes again (its own loop
 * on mesos-go's calls, which leave re-subscription to the executor) and a kill reaches it as KILL.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleStatus, type AssignedTask, type ScheduledTask } from '../../src/gen/types.js';
import { decodeStruct } from '../../src/protocol/index.js';
import { parseEnvLines } from '../support/executor-client.js';
import { pidAlive, shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForTask, writeExecutorsFile, type ExecutorEntry, type TestScheduler } from '../support/scheduler.js';

const SOURCE = resolve(__dirname, '../fixtures/mesos-go-executor');
// Built once per run into a temp dir; Go's build cache outlives the run so later runs take seconds.
const BUILD_DIR = join(tmpdir(), `aurora-ts-mesos-go-${process.pid}`);
const BINARY = join(BUILD_DIR, 'mesos-go-executor');

function goExecutor(name: string, mode: string, media: string, prefix: string): ExecutorEntry {
  return {
    executor: {
      name,
      command: { value: BINARY, shell: false, arguments: ['mesos-go-executor', mode, media] },
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 0.05 } },
        { name: 'mem', type: 'SCALAR', scalar: { value: 8 } },
      ],
    },
    task_prefix: prefix,
  } as ExecutorEntry;
}

beforeAll(() => {
  mkdirSync(BUILD_DIR, { recursive: true });
  const built = spawnSync('go', ['build', '-o', BINARY, '.'], {
    cwd: SOURCE,
    encoding: 'utf8',
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(tmpdir(), 'aurora-ts-go-cache'), GOFLAGS: '' },
  });
  if (built.status !== 0) throw new Error(`building the mesos-go executor failed (needs golang-go and golang-github-mesos-mesos-go-dev): ${built.error?.message ?? ''}${built.stderr}`);
}, 240_000);

afterAll(() => rmSync(BUILD_DIR, { recursive: true, force: true }));

const statusNames = (task: ScheduledTask): string[] => task.taskEvents!.map((e) => ScheduleStatus[e.status!]);
const messageOf = (task: ScheduledTask, status: ScheduleStatus): string | undefined => task.taskEvents!.find((e) => e.status === status)?.message;

describe('a mesos-go v1 executor on the local scheduler (--executor-mode mesos)', () => {
  let local: TestScheduler;
  beforeAll(async () => {
    local = await startTestScheduler({
      executors: [
        goExecutor('go-batch-json', 'batch', 'json', 'gojson-'),
        goExecutor('go-service-protobuf', 'service', 'protobuf', 'goproto-'),
        goExecutor('go-crash-json', 'crash', 'json', 'gocrash-'),
        goExecutor('go-error-protobuf', 'error', 'protobuf', 'goerr-'),
        shellExecutor('plain', 'exec sleep 30'),
      ],
      // As an agent with --authenticate_http_executors: the executors send their token on every call.
      mesosExecutors: { mode: 'mesos', registrationTimeoutMs: 1500, authenticateHttpExecutors: true },
    });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('a batch task (JSON) goes RUNNING and FINISHED as the executor reports, with its messages, and it received the TaskInfo Aurora builds', async () => {
    const config = testJob({ name: 'gobatch', executor: 'go-batch-json', data: 'hello' });
    config.taskConfig!.metadata = [{ key: 'team', value: 'web' }];
    await local.client.createJob(config);
    const task = await waitForTask(local.client, config.key!, ScheduleStatus.FINISHED);
    expect(statusNames(task)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'FINISHED']);
    expect(messageOf(task, ScheduleStatus.RUNNING)).toBe('go executor running batch');
    expect(messageOf(task, ScheduleStatus.FINISHED)).toBe('go executor done');

    const taskId = task.assignedTask!.taskId!;
    const sandbox = join(local.workDir, 'sandboxes', taskId);
    const info = JSON.parse(readFileSync(join(sandbox, 'taskinfo.json'), 'utf8'));
    expect(info.name).toBe('www-data/devel/gobatch');
    expect(info.task_id.value).toBe(taskId);
    expect(info.executor.executor_id.value).toBe(`gojson-${taskId}`);
    expect(info.executor.labels.labels).toEqual([{ key: 'source', value: 'www-data.devel.gobatch.0' }]);
    expect(info.labels.labels).toContainEqual({ key: 'org.apache.aurora.metadata.team', value: 'web' });
    expect(info.resources.map((r: { name: string }) => r.name)).toEqual(['cpus', 'mem', 'disk']);
    const assigned = decodeStruct<AssignedTask>('binary', 'AssignedTask', Buffer.from(info.data, 'base64'));
    expect(assigned.taskId).toBe(taskId);
    expect(assigned.task!.executorConfig).toEqual({ name: 'go-batch-json', data: 'hello' });
    const subscribed = JSON.parse(readFileSync(join(sandbox, 'subscribed.json'), 'utf8'));
    expect(subscribed.framework_info.checkpoint).toBe(true);
    const stdout = readFileSync(join(sandbox, 'stdout'), 'utf8');
    expect(stdout).toContain("authenticating with the agent's token");
    expect(stdout).toContain('all updates acknowledged; exiting');
  });

  it('a service (protobuf) goes RUNNING when the executor says so and KILLED through the KILL event', async () => {
    const config = testJob({ name: 'goservice', executor: 'go-service-protobuf', service: true });
    await local.client.createJob(config);
    const running = await waitForTask(local.client, config.key!, ScheduleStatus.RUNNING);
    expect(messageOf(running, ScheduleStatus.RUNNING)).toBe('go executor running service');
    const taskId = running.assignedTask!.taskId!;
    await local.client.killTasks(config.key!, [0], 'done with it');
    const killed = await waitForTask(local.client, config.key!, ScheduleStatus.KILLED);
    expect(killed.assignedTask!.taskId).toBe(taskId);
    expect(messageOf(killed, ScheduleStatus.KILLED)).toBe('killed by go executor');
    // The executor prints after its UPDATE was answered, which may be after the task is KILLED.
    const stdout = await waitFor('the executor\'s log', () => {
      const text = readFileSync(join(local.workDir, 'sandboxes', taskId, 'stdout'), 'utf8');
      return text.includes('sent TASK_KILLED') ? text : undefined;
    });
    expect(stdout).toContain('in application/x-protobuf');
    expect(stdout).toContain('event KILL');
  });

  it('an executor that exits under its running task ends it FAILED (REASON_EXECUTOR_TERMINATED), as a Mesos agent reports it', async () => {
    const config = testJob({ name: 'gocrash', executor: 'go-crash-json' });
    config.taskConfig!.maxTaskFailures = 1;
    await local.client.createJob(config);
    const failed = await waitForTask(local.client, config.key!, ScheduleStatus.FAILED);
    expect(statusNames(failed)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'FAILED']);
    expect(messageOf(failed, ScheduleStatus.FAILED)).toMatch(/^Executor terminated \(REASON_EXECUTOR_TERMINATED\): Command exited with status 3/);
    await local.client.killTasks(config.key!, [0], 'done');
  });

  it('TASK_ERROR from the executor ends the task LOST with its message, as Aurora maps it, and the task is rescheduled', async () => {
    const config = testJob({ name: 'goerror', executor: 'go-error-protobuf', service: true });
    await local.client.createJob(config);
    const lost = await waitForTask(local.client, config.key!, ScheduleStatus.LOST);
    expect(statusNames(lost)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'LOST']);
    expect(messageOf(lost, ScheduleStatus.LOST)).toBe('go executor refuses this task');
    await waitFor('a replacement', async () => ((await tasksOf(local.client, config.key!)).some((t) => t.ancestorId === lost.assignedTask!.taskId) ? true : undefined));
    await local.client.killTasks(config.key!, [0], 'done');
  });

  it('an executor that never subscribes fails after the registration timeout', async () => {
    const config = testJob({ name: 'plainproc', executor: 'plain' });
    await local.client.createJob(config);
    const failed = await waitForTask(local.client, config.key!, ScheduleStatus.FAILED);
    expect(statusNames(failed)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'FAILED']);
    expect(messageOf(failed, ScheduleStatus.FAILED)).toMatch(/^Executor did not register within 1\.5secs/);
  });
});

describe('a mesos-go executor that ignores KILL', () => {
  it('stays KILLING while KILL is re-sent with backoff; killall again changes nothing (Aurora: KILLING → KILLING is a no-op); scheduler stop ends it through SHUTDOWN', async () => {
    // A work directory of our own: the sandbox must outlive the scheduler to be read after it stops.
    const workDir = mkdtempSync(join(tmpdir(), 'aurora-ts-stubborn-'));
    const local = await startTestScheduler({
      executors: [goExecutor('go-stubborn', 'stubborn', 'json', 'gostub-')],
      mesosExecutors: { mode: 'mesos', killRetryMs: 300 },
      workDir,
    });
    let closed = false;
    try {
      const config = testJob({ name: 'gostubborn', executor: 'go-stubborn', service: true });
      await local.client.createJob(config);
      const running = await waitForTask(local.client, config.key!, ScheduleStatus.RUNNING);
      const taskId = running.assignedTask!.taskId!;
      const stdoutFile = join(local.workDir, 'sandboxes', taskId, 'stdout');
      const kills = (): number => readFileSync(stdoutFile, 'utf8').split('event KILL').length - 1;
      // What `job killall` sends: killTasks for every instance of the job.
      await local.client.killTasks(config.key!, [], 'killall');
      await waitFor('KILL sent again', () => (kills() >= 3 ? true : undefined));
      const [still] = await tasksOf(local.client, config.key!);
      expect(ScheduleStatus[still!.status!]).toBe('KILLING');
      // killall of a KILLING task: Aurora's state machine takes KILLING → KILLING as a no-op; the
      // retries go on (300, 600, 1200 ms apart), the task stays KILLING.
      await local.client.killTasks(config.key!, [], 'killall again');
      const before = kills();
      await waitFor('the next retry', () => (kills() > before ? true : undefined));
      const [after] = await tasksOf(local.client, config.key!);
      expect(ScheduleStatus[after!.status!]).toBe('KILLING');
      expect(statusNames(after!)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'KILLING']);
      const pid = executorPid('gostub-', taskId);
      expect(pid).toBeGreaterThan(0);
      await local.close();
      closed = true;
      const stdout = readFileSync(stdoutFile, 'utf8');
      expect(stdout).toContain('event SHUTDOWN');
      expect(stdout).toContain('sent TASK_KILLED');
      expect(pidAlive(pid)).toBe(false);
    } finally {
      if (!closed) await local.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it('ignoring SHUTDOWN too: after the transient state timeout the task is LOST ("Task timed out", a restarted one rescheduled), and the executor gets SHUTDOWN, then SIGKILL after its shutdown grace', async () => {
    const local = await startTestScheduler({
      executors: [goExecutor('go-deaf', 'deaf', 'protobuf', 'godeaf-')],
      mesosExecutors: { mode: 'mesos', killRetryMs: 200, shutdownGraceMs: 700 },
      transientTaskStateTimeoutMs: 1500,
    });
    try {
      const config = testJob({ name: 'godeaf', executor: 'go-deaf', service: true });
      await local.client.createJob(config);
      const running = await waitForTask(local.client, config.key!, ScheduleStatus.RUNNING);
      const taskId = running.assignedTask!.taskId!;
      const pid = executorPid('godeaf-', taskId);
      expect(pid).toBeGreaterThan(0);
      await local.client.killTasks(config.key!, [], 'killall');
      const lost = await waitForTask(local.client, config.key!, ScheduleStatus.LOST);
      expect(statusNames(lost)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'KILLING', 'LOST']);
      expect(messageOf(lost, ScheduleStatus.LOST)).toBe('Task timed out');
      // A kill ends a task for good: no replacement.
      expect(await tasksOf(local.client, config.key!)).toHaveLength(1);
      const stdoutFile = join(local.workDir, 'sandboxes', taskId, 'stdout');
      await waitFor('SHUTDOWN', () => (readFileSync(stdoutFile, 'utf8').includes('event SHUTDOWN') ? true : undefined));
      // It ignores SHUTDOWN and never exits by itself: only the agent's SIGKILL after the grace ends it.
      await waitFor('the executor SIGKILLed', () => (pidAlive(pid) ? undefined : true));
      expect(readFileSync(stdoutFile, 'utf8')).not.toContain('sent TASK_KILLED');

      // A restart that never ends times out the same way, and then the instance is rescheduled.
      const restarted = testJob({ name: 'godeafrestart', executor: 'go-deaf', service: true });
      await local.client.createJob(restarted);
      const first = await waitForTask(local.client, restarted.key!, ScheduleStatus.RUNNING);
      await local.client.restartShards(restarted.key!, [0]);
      const timedOut = await waitForTask(local.client, restarted.key!, ScheduleStatus.LOST);
      expect(statusNames(timedOut)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'RESTARTING', 'LOST']);
      expect(timedOut.assignedTask!.taskId).toBe(first.assignedTask!.taskId);
      await waitFor('a replacement', async () => ((await tasksOf(local.client, restarted.key!)).some((t) => t.ancestorId === first.assignedTask!.taskId) ? true : undefined));
    } finally {
      await local.close();
    }
  });
});

/** The executor's pid, from /proc: the mesos-go executor whose MESOS_EXECUTOR_ID is prefix + task id. */
function executorPid(prefix: string, taskId: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.startsWith('mesos-go-executor') && env.includes(`MESOS_EXECUTOR_ID=${prefix}${taskId}\0`)) return Number(entry);
    } catch {
      // gone or not ours
    }
  }
  return 0;
}

describe('the default executor mode (auto)', () => {
  let local: TestScheduler;
  beforeAll(async () => {
    local = await startTestScheduler({
      executors: [goExecutor('go-batch-protobuf', 'batch', 'protobuf', 'goauto-'), shellExecutor('envdump', 'env | grep ^MESOS_ | sort > mesos.env; exec sleep 30', 'dump-')],
    });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('a subscribing executor still decides its task: FINISHED with its message', async () => {
    const config = testJob({ name: 'goauto', executor: 'go-batch-protobuf' });
    await local.client.createJob(config);
    const task = await waitForTask(local.client, config.key!, ScheduleStatus.FINISHED);
    expect(messageOf(task, ScheduleStatus.FINISHED)).toBe('go executor done');
  });

  it('a plain process is RUNNING once spawned, and sees the environment a Mesos agent sets', async () => {
    const config = testJob({ name: 'envdump', executor: 'envdump' });
    await local.client.createJob(config);
    const task = await waitForTask(local.client, config.key!, ScheduleStatus.RUNNING);
    const taskId = task.assignedTask!.taskId!;
    const sandbox = join(local.workDir, 'sandboxes', taskId);
    const envFile = join(sandbox, 'mesos.env');
    const text = await waitFor('mesos.env', () => {
      try {
        const t = readFileSync(envFile, 'utf8');
        return t.includes('MESOS_') ? t : undefined;
      } catch {
        return undefined;
      }
    });
    const env = parseEnvLines(text);
    const endpoint = env.MESOS_AGENT_ENDPOINT!;
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(env).toMatchObject({
      MESOS_FRAMEWORK_ID: 'aurora-ts-local',
      MESOS_EXECUTOR_ID: `dump-${taskId}`,
      MESOS_DIRECTORY: sandbox,
      MESOS_SANDBOX: sandbox,
      MESOS_SLAVE_PID: `slave(1)@${endpoint}`,
      MESOS_CHECKPOINT: '1',
      MESOS_HTTP_COMMAND_EXECUTOR: '0',
      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '5secs',
      MESOS_RECOVERY_TIMEOUT: '15mins',
      MESOS_SUBSCRIPTION_BACKOFF_MAX: '2secs',
    });
    expect(env.MESOS_SLAVE_ID).toBeTruthy();
    // Executor authentication is off by default, as in Mesos.
    expect(env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN).toBeUndefined();
  });
});

describe('a mesos-go v1 executor across a scheduler restart on the same state directory', () => {
  const work = mkdtempSync(join(tmpdir(), 'aurora-ts-mesos-go-restart-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('subscribes again when the scheduler stops leaving it running and restarts: still RUNNING, then KILLED through the KILL event', async () => {
    const stateDir = join(work, 'state');
    const executors = writeExecutorsFile([goExecutor('go-service-json', 'service', 'json', 'goresub-')]);
    const options = { executors, stateDir, mesosExecutors: { mode: 'mesos' as const } };
    const first = await startTestScheduler(options);
    const config = testJob({ name: 'goresub', executor: 'go-service-json', service: true });
    await first.client.createJob(config);
    const running = await waitForTask(first.client, config.key!, ScheduleStatus.RUNNING);
    const taskId = running.assignedTask!.taskId!;
    const stdout = (): string => readFileSync(join(stateDir, 'sandboxes', taskId, 'stdout'), 'utf8');
    // With a state directory, stopping leaves the task's processes running for the next scheduler.
    await first.scheduler.close();

    const second = await startTestScheduler(options);
    try {
      await waitFor('the executor to subscribe again', () => stdout().includes('subscribed again') || undefined);
      // Past the re-registration timeout (2 s): the same task, still RUNNING.
      await new Promise((done) => setTimeout(done, 2500));
      const [task, ...others] = await tasksOf(second.client, config.key!);
      expect(others).toEqual([]);
      expect([task!.assignedTask!.taskId, ScheduleStatus[task!.status!]]).toEqual([taskId, 'RUNNING']);
      await second.client.killTasks(config.key!, [0], 'done with it');
      const killed = await waitForTask(second.client, config.key!, ScheduleStatus.KILLED);
      expect(messageOf(killed, ScheduleStatus.KILLED)).toBe('killed by go executor');
      // Two SUBSCRIBED events, then the KILL the restarted scheduler sent.
      const log = await waitFor('the executor\'s log', () => (stdout().includes('sent TASK_KILLED') ? stdout() : undefined));
      expect(log.split('event SUBSCRIBED').length - 1).toBe(2);
      expect(log.indexOf('event KILL')).toBeGreaterThan(log.lastIndexOf('event SUBSCRIBED'));
    } finally {
      await second.close();
      rmSync(join(executors, '..'), { recursive: true, force: true });
    }
  });
});

describe('a mesos-go executor under an agent process (agentProcesses)', () => {
  let local: TestScheduler;
  let stateDir: string;
  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'aurora-ts-mesos-agentp-'));
    local = await startTestScheduler({
      executors: [goExecutor('go-service-protobuf', 'service', 'protobuf', 'goproto-')],
      stateDir,
      agentProcesses: true,
      mesosExecutors: { mode: 'mesos', registrationTimeoutMs: 5000 },
    });
  });
  afterAll(async () => {
    await local?.close();
    // The agent process outlives the scheduler by a moment and may still be removing its task files.
    rmSync(stateDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  });

  it('the agent starts the executor, which subscribes to the scheduler and reports RUNNING, then KILLED through the KILL event', async () => {
    const config = testJob({ name: 'goagent', executor: 'go-service-protobuf', service: true });
    await local.client.createJob(config);
    const running = await waitForTask(local.client, config.key!, ScheduleStatus.RUNNING);
    expect(messageOf(running, ScheduleStatus.RUNNING)).toBe('go executor running service');
    // Started by the agent's process, not by the scheduler's.
    const agent = Number(readFileSync(join(stateDir, 'agents', running.assignedTask!.slaveHost!, 'agent.pid'), 'utf8'));
    expect(pidAlive(agent)).toBe(true);
    expect(agent).not.toBe(process.pid);
    await local.client.killTasks(config.key!, [0], 'done with it');
    const killed = await waitForTask(local.client, config.key!, ScheduleStatus.KILLED);
    expect(messageOf(killed, ScheduleStatus.KILLED)).toBe('killed by go executor');
  });
});
