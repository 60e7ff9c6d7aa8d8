/**
 * Rolling updates on the local scheduler, end to end: a real scheduler, real processes, the real
 * client over HTTP. Watch times are short (300 ms) so the whole file runs in seconds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import {
  JobUpdateAction,
  JobUpdatePulseStatus,
  JobUpdateStatus,
  ResponseCode,
  ScheduleStatus,
  type JobConfiguration,
  type JobUpdateDetails,
  type JobUpdateKey,
  type JobUpdateRequest,
  type JobUpdateSettings,
} from '../../src/gen/types.js';
import { waitForUpdate } from '../../src/waiters/index.js';
import { rejectionOf, shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

let local: TestScheduler;
let client: AuroraClient;

beforeAll(async () => {
  local = await startTestScheduler({
    executors: [
      shellExecutor('sleeper', 'echo "data=$(cat "$AURORA_EXECUTOR_DATA")"; exec sleep 60', 'sleep-'),
      shellExecutor('failer', 'echo failing; exit 1', 'fail-'),
    ],
    cpus: 8,
    ramMb: 8192,
    throttle: { minRunningMs: 2000, initialBackoffMs: 200, maxBackoffMs: 500 },
  });
  client = local.client;
});

afterAll(async () => {
  await local?.close();
});

/** A www-data/prod service. */
const job = (name: string, instances: number, data: string, executor = 'sleeper'): JobConfiguration =>
  testJob({ name, environment: 'prod', instances, data, executor, service: true });

function request(config: JobConfiguration, settings: JobUpdateSettings = {}, instanceCount = config.instanceCount!): JobUpdateRequest {
  return {
    taskConfig: config.taskConfig,
    instanceCount,
    settings: {
      updateGroupSize: 1,
      maxPerInstanceFailures: 0,
      maxFailedInstances: 0,
      minWaitInInstanceRunningMs: 300,
      rollbackOnFailure: true,
      waitForBatchCompletion: false,
      ...settings,
    },
  };
}

async function details(key: JobUpdateKey): Promise<JobUpdateDetails> {
  const { detailsList } = await client.getJobUpdateDetails(key, { key });
  expect(detailsList).toHaveLength(1);
  return detailsList![0]!;
}

async function status(key: JobUpdateKey): Promise<JobUpdateStatus> {
  return (await details(key)).update!.summary!.state!.status!;
}

async function finish(key: JobUpdateKey): Promise<JobUpdateStatus> {
  return waitForUpdate(client, key, { intervalMs: 50, backoff: 1, timeoutMs: 20_000 });
}

async function start(req: JobUpdateRequest, message = 'test update'): Promise<JobUpdateKey> {
  const result = await client.startJobUpdate(req, message);
  return result.key!;
}

/** Instance events as `instance:ACTION` strings, in order. */
function instanceEvents(d: JobUpdateDetails): string[] {
  return (d.instanceEvents ?? []).map((e) => `${e.instanceId}:${JobUpdateAction[e.action!]}`);
}

function updateStatuses(d: JobUpdateDetails): string[] {
  return (d.updateEvents ?? []).map((e) => JobUpdateStatus[e.status!]);
}

describe('job updates on the local scheduler', () => {
  it('rolls a job forward: new processes run the new config, old ones are killed, details tell the story', async () => {
    const v1 = job('roll', 2, 'v1');
    await client.createJob(v1);
    const old = await waitForRunning(client, v1.key!, 2, 'v1');
    const v2 = job('roll', 2, 'v2');

    const diff = await client.getJobUpdateDiff(request(v2));
    expect(diff.update).toHaveLength(1);
    expect(diff.update![0]!.instances).toEqual([{ first: 0, last: 1 }]);
    expect(diff.update![0]!.config!.executorConfig!.data).toBe('v1');
    expect(diff.add).toEqual([]);
    expect(diff.remove).toEqual([]);
    expect(diff.unchanged).toEqual([]);

    const key = await start(request(v2), 'ship v2');
    expect(key.job).toEqual(v1.key);
    expect(key.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await finish(key)).toBe(JobUpdateStatus.ROLLED_FORWARD);

    const now = await waitForRunning(client, v1.key!, 2, 'v2');
    const oldIds = new Set(old.map((t) => t.assignedTask!.taskId));
    expect(now.some((t) => oldIds.has(t.assignedTask!.taskId))).toBe(false);
    for (const t of await tasksOf(client, v1.key!)) {
      if (oldIds.has(t.assignedTask!.taskId)) {
        expect(t.status).toBe(ScheduleStatus.KILLED);
        expect(t.taskEvents!.at(-2)!.message).toBe(`Killed for job update ${key.id}`);
      }
    }
    // The new executor process really got the new data.
    const stdout = join(local.workDir, 'sandboxes', now[0]!.assignedTask!.taskId!, 'stdout');
    await waitFor('stdout', async () => (readFileSync(stdout, 'utf8').includes('data=') ? true : undefined));
    expect(readFileSync(stdout, 'utf8')).toContain('data=v2');

    const d = await details(key);
    expect(updateStatuses(d)).toEqual(['ROLLING_FORWARD', 'ROLLED_FORWARD']);
    expect(d.updateEvents![0]!.message).toBe('ship v2');
    expect(d.updateEvents![0]!.user).toBe(d.update!.summary!.user);
    expect(instanceEvents(d)).toEqual(['0:INSTANCE_UPDATING', '0:INSTANCE_UPDATED', '1:INSTANCE_UPDATING', '1:INSTANCE_UPDATED']);
    const instructions = d.update!.instructions!;
    expect(instructions.initialState).toHaveLength(1);
    expect(instructions.initialState![0]!.task!.executorConfig!.data).toBe('v1');
    expect(instructions.initialState![0]!.instances).toEqual([{ first: 0, last: 1 }]);
    expect(instructions.desiredState!.task!.executorConfig!.data).toBe('v2');
    expect(instructions.desiredState!.instances).toEqual([{ first: 0, last: 1 }]);
    expect(instructions.settings!.updateStrategy).toEqual({ queueStrategy: { groupSize: 1 } });
    const state = d.update!.summary!.state!;
    expect(state.lastModifiedTimestampMs!).toBeGreaterThanOrEqual(state.createdTimestampMs!);

    // TJSON clients read the same details.
    const json = new AuroraClient({ url: local.url, protocol: 'json' });
    expect((await json.getJobUpdateDetails(key, { key })).detailsList).toEqual([d]);

    const summaries = await client.getJobUpdateSummaries({ jobKey: v1.key, updateStatuses: [JobUpdateStatus.ROLLED_FORWARD] });
    expect(summaries.updateSummaries!.map((s) => s.key!.id)).toEqual([key.id]);
    expect((await client.getJobUpdateSummaries({ role: 'nobody' })).updateSummaries).toEqual([]);

    // Submitting the same config again changes nothing.
    const noop = await client.startJobUpdate(request(v2), 'again');
    expect(noop.$response.code).toBe(ResponseCode.OK);
    expect(noop.$response.details).toEqual(['Job is unchanged by proposed update.']);
    expect(noop.key).toBeUndefined();
    await client.killTasks(v1.key!, [], 'done');
  });

  it('rolls back a failing update: the old config runs again and the events say why', async () => {
    const good = job('rollback', 2, 'good');
    await client.createJob(good);
    await waitForRunning(client, good.key!, 2, 'good');
    const key = await start(request(job('rollback', 2, 'bad', 'failer')));
    expect(await finish(key)).toBe(JobUpdateStatus.ROLLED_BACK);

    const back = await waitForRunning(client, good.key!, 2, 'good');
    expect(back.every((t) => t.assignedTask!.task!.executorConfig!.name === 'sleeper')).toBe(true);
    const d = await details(key);
    expect(updateStatuses(d)).toEqual(['ROLLING_FORWARD', 'ROLLING_BACK', 'ROLLED_BACK']);
    expect(d.updateEvents![1]!.message).toBe('Latest failure: instance 0 exited.');
    const events = instanceEvents(d);
    expect(events.filter((e) => e.startsWith('0:'))).toEqual(['0:INSTANCE_UPDATING', '0:INSTANCE_UPDATE_FAILED', '0:INSTANCE_ROLLING_BACK', '0:INSTANCE_ROLLED_BACK']);
    // Instance 1 was never updated. On a slow machine its old task may still be inside its watch
    // time when the rollback looks at it, and then (as in Aurora) it is recorded as rolled back.
    expect(events.filter((e) => e.startsWith('1:')).every((e) => e === '1:INSTANCE_ROLLING_BACK' || e === '1:INSTANCE_ROLLED_BACK')).toBe(true);
    await client.killTasks(good.key!, [], 'done');
  });

  it('ends FAILED without rollbackOnFailure, leaving the failed instance on the new config', async () => {
    const good = job('failed', 1, 'good');
    await client.createJob(good);
    await waitForRunning(client, good.key!, 1, 'good');
    const key = await start(request(job('failed', 1, 'bad', 'failer'), { rollbackOnFailure: false }));
    expect(await finish(key)).toBe(JobUpdateStatus.FAILED);
    expect(instanceEvents(await details(key))).toEqual(['0:INSTANCE_UPDATING', '0:INSTANCE_UPDATE_FAILED']);
    await client.killTasks(good.key!, [], 'done');
  });

  it('guards a job while it updates: JOB_UPDATING_ERROR, INVALID_REQUEST naming the active update, pause, resume, abort', async () => {
    const v1 = job('guarded', 3, 'v1');
    await client.createJob(v1);
    await waitForRunning(client, v1.key!, 3, 'v1');
    const first = request(job('guarded', 3, 'v2'), { minWaitInInstanceRunningMs: 1000 });
    first.metadata = [{ key: 'org.apache.aurora.client.update_id', value: 'retry-me' }];
    const key = await start(first);

    const killError = await rejectionOf(client.killTasks(v1.key!, [], 'not now'));
    expect(killError.code).toBe(ResponseCode.JOB_UPDATING_ERROR);

    // A retried (or competing) request learns which update is active, metadata included.
    const again = await rejectionOf(client.startJobUpdate(request(job('guarded', 3, 'v3')), 'second'));
    expect(again.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(again.details[0]).toMatch(/^An active update already exists for this job, please terminate it before starting another\./);
    expect(again.result!.startJobUpdateResult!.key).toEqual(key);
    expect(again.result!.startJobUpdateResult!.updateSummary!.metadata).toEqual([{ key: 'org.apache.aurora.client.update_id', value: 'retry-me' }]);

    await client.pauseJobUpdate(key, 'hold on');
    expect(await status(key)).toBe(JobUpdateStatus.ROLL_FORWARD_PAUSED);
    // Paused is still an update in progress.
    expect((await rejectionOf(client.killTasks(v1.key!, [], 'still not'))).code).toBe(ResponseCode.JOB_UPDATING_ERROR);
    const pausedEvents = instanceEvents(await details(key)).length;
    await new Promise((r) => setTimeout(r, 1300));
    expect(instanceEvents(await details(key)).length).toBe(pausedEvents);

    await client.resumeJobUpdate(key, 'go on');
    expect(await status(key)).toBe(JobUpdateStatus.ROLLING_FORWARD);
    await client.abortJobUpdate(key, 'enough');
    expect(await status(key)).toBe(JobUpdateStatus.ABORTED);
    const d = await details(key);
    expect(updateStatuses(d)).toEqual(['ROLLING_FORWARD', 'ROLL_FORWARD_PAUSED', 'ROLLING_FORWARD', 'ABORTED']);
    expect(d.updateEvents!.map((e) => e.message)).toEqual(['test update', 'hold on', 'go on', 'enough']);

    const late = await rejectionOf(client.resumeJobUpdate(key, 'too late'));
    expect(late.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(late.details).toEqual(['Cannot transition update from ABORTED to null']);
    const missing = await rejectionOf(client.pauseJobUpdate({ job: v1.key, id: 'no-such-update' }, 'x'));
    expect(missing.details[0]).toContain('Update does not exist');

    await client.killTasks(v1.key!, [], 'done');
  });

  it('blocks a coordinated update without pulses and continues after pulseJobUpdate', async () => {
    const v1 = job('pulsed', 3, 'v1');
    await client.createJob(v1);
    await waitForRunning(client, v1.key!, 3, 'v1');
    const key = await start(request(job('pulsed', 3, 'v2'), { blockIfNoPulsesAfterMs: 600 }));

    // Nothing happens before the first pulse.
    expect(await status(key)).toBe(JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE);
    await new Promise((r) => setTimeout(r, 300));
    expect(await status(key)).toBe(JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE);
    expect((await details(key)).instanceEvents).toEqual([]);

    const pulse = await client.pulseJobUpdate(key);
    expect(pulse.status).toBe(JobUpdatePulseStatus.OK);
    expect(await status(key)).toBe(JobUpdateStatus.ROLLING_FORWARD);

    // Without further pulses the update blocks again, mid-way.
    await waitFor('blocked', async () => ((await status(key)) === JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE ? true : undefined), 5000);
    const blocked = await details(key);
    expect(blocked.updateEvents!.at(-1)!.message).toBe('Pulses from external service have timed out.');
    expect(blocked.instanceEvents!.length).toBeGreaterThan(0);

    // A client that keeps pulsing sees it through.
    const pulser = setInterval(() => void client.pulseJobUpdate(key).catch(() => undefined), 150);
    try {
      expect(await finish(key)).toBe(JobUpdateStatus.ROLLED_FORWARD);
    } finally {
      clearInterval(pulser);
    }
    await waitForRunning(client, v1.key!, 3, 'v2');
    expect((await client.pulseJobUpdate(key)).status).toBe(JobUpdatePulseStatus.FINISHED);
    await client.killTasks(v1.key!, [], 'done');
  });

  it('runs variable batches and pauses after each batch when asked', async () => {
    const v1 = job('batches', 3, 'v1');
    await client.createJob(v1);
    await waitForRunning(client, v1.key!, 3, 'v1');
    const key = await start(
      request(job('batches', 3, 'v2'), { updateStrategy: { varBatchStrategy: { groupSizes: [1, 2], autopauseAfterBatch: true } } }),
    );
    await waitFor('auto pause', async () => ((await status(key)) === JobUpdateStatus.ROLL_FORWARD_PAUSED ? true : undefined));
    let d = await details(key);
    expect(d.updateEvents!.at(-1)!.message).toBe('Update auto paused');
    expect(instanceEvents(d)).toEqual(['0:INSTANCE_UPDATING', '0:INSTANCE_UPDATED']);
    const active = await tasksOf(client, v1.key!, [ScheduleStatus.RUNNING]);
    expect(active.filter((t) => t.assignedTask!.task!.executorConfig!.data === 'v1').map((t) => t.assignedTask!.instanceId).sort()).toEqual([1, 2]);

    await client.resumeJobUpdate(key, 'next batch');
    expect(await finish(key)).toBe(JobUpdateStatus.ROLLED_FORWARD);
    d = await details(key);
    // The second batch of two ran together.
    const updating = d.instanceEvents!.filter((e) => e.action === JobUpdateAction.INSTANCE_UPDATING && e.instanceId !== 0);
    const updated = d.instanceEvents!.filter((e) => e.action === JobUpdateAction.INSTANCE_UPDATED && e.instanceId !== 0);
    expect(updating.map((e) => e.instanceId).sort()).toEqual([1, 2]);
    expect(Math.max(...updating.map((e) => e.timestampMs!))).toBeLessThan(Math.min(...updated.map((e) => e.timestampMs!)));
    expect(updateStatuses(d)).toEqual(['ROLLING_FORWARD', 'ROLL_FORWARD_PAUSED', 'ROLLING_FORWARD', 'ROLLED_FORWARD']);
    await waitForRunning(client, v1.key!, 3, 'v2');
    await client.killTasks(v1.key!, [], 'done');
  });

  it('adds and removes instances through updates, and getJobUpdateDiff says which', async () => {
    const v1 = job('resize', 2, 'v1');
    await client.createJob(v1);
    await waitForRunning(client, v1.key!, 2, 'v1');

    const growDiff = await client.getJobUpdateDiff(request(v1, {}, 4));
    expect(growDiff.add!.map((g) => g.instances)).toEqual([[{ first: 2, last: 3 }]]);
    expect(growDiff.unchanged!.map((g) => g.instances)).toEqual([[{ first: 0, last: 1 }]]);
    expect(growDiff.update).toEqual([]);

    const grow = await start(request(v1, { updateGroupSize: 2 }, 4));
    expect(await finish(grow)).toBe(JobUpdateStatus.ROLLED_FORWARD);
    await waitForRunning(client, v1.key!, 4, 'v1');
    const grown = await details(grow);
    expect(grown.update!.instructions!.initialState).toEqual([]);
    expect(grown.update!.instructions!.desiredState!.instances).toEqual([{ first: 2, last: 3 }]);

    const shrinkDiff = await client.getJobUpdateDiff(request(v1, {}, 1));
    expect(shrinkDiff.remove!.map((g) => g.instances)).toEqual([[{ first: 1, last: 3 }]]);
    expect(shrinkDiff.unchanged!.map((g) => g.instances)).toEqual([[{ first: 0, last: 0 }]]);

    const shrink = await start(request(v1, { updateGroupSize: 3 }, 1));
    expect(await finish(shrink)).toBe(JobUpdateStatus.ROLLED_FORWARD);
    const left = await waitForRunning(client, v1.key!, 1, 'v1');
    expect(left[0]!.assignedTask!.instanceId).toBe(0);
    const shrunk = await details(shrink);
    expect(shrunk.update!.instructions!.desiredState).toBeUndefined();
    expect(instanceEvents(shrunk).filter((e) => e.endsWith('INSTANCE_UPDATED')).sort()).toEqual(['1:INSTANCE_UPDATED', '2:INSTANCE_UPDATED', '3:INSTANCE_UPDATED']);
    await client.killTasks(v1.key!, [], 'done');
  });

  it('updates only the instances asked for', async () => {
    const v1 = job('scoped', 3, 'v1');
    await client.createJob(v1);
    await waitForRunning(client, v1.key!, 3, 'v1');
    const key = await start(request(job('scoped', 3, 'v2'), { updateOnlyTheseInstances: [{ first: 1, last: 1 }], updateGroupSize: 3 }));
    expect(await finish(key)).toBe(JobUpdateStatus.ROLLED_FORWARD);
    const all = await waitForRunning(client, v1.key!, 3);
    expect(all.map((t) => `${t.assignedTask!.instanceId}=${t.assignedTask!.task!.executorConfig!.data}`).sort()).toEqual(['0=v1', '1=v2', '2=v1']);

    const stray = await rejectionOf(client.startJobUpdate(request(job('scoped', 3, 'v3'), { updateOnlyTheseInstances: [{ first: 7, last: 8 }] }), 'x'));
    expect(stray.details).toEqual([
      'The update request attempted to update specific instances, but some are irrelevant to the update and current job state: [7, 8]',
    ]);
    await client.killTasks(v1.key!, [], 'done');
  });

  it('rejects bad requests with Aurora’s messages', async () => {
    const base = job('invalid', 1, 'v1');
    const cases: Array<[JobUpdateRequest, string]> = [
      [{ ...request(base), taskConfig: { ...base.taskConfig, isService: false } }, 'Updates are not supported for non-service tasks.'],
      [request(base, { updateStrategy: { varBatchStrategy: { groupSizes: [1, 0] } } }), 'All update group sizes must be positive.'],
      [request(base, { updateGroupSize: 0 }), 'Update results in no instance being modified.'],
      [request(base, { maxPerInstanceFailures: -1 }), 'maxPerInstanceFailures must be non-negative.'],
      [request(base, { maxFailedInstances: -1 }), 'maxFailedInstances must be non-negative.'],
      [request(base, { minWaitInInstanceRunningMs: -1 }), 'minWaitInInstanceRunningMs must be non-negative.'],
      [request(base, { blockIfNoPulsesAfterMs: -5 }), 'blockIfNoPulsesAfterMs must be positive.'],
      [request(base, { slaAware: true }), 'slaAware is true, but no task slaPolicy is specified.'],
      [
        request(base, { maxPerInstanceFailures: 10_000 }, 3),
        'Your update allows too many failures to occur, consider decreasing the per-instance failures or maxFailedInstances.',
      ],
      [request(job('invalid', 1, 'v1', 'no-such-executor')), "Configuration for executor 'no-such-executor' doesn't exist."],
    ];
    for (const [req, message] of cases) {
      const error = await rejectionOf(client.startJobUpdate(req, 'bad'));
      expect(error.code, message).toBe(ResponseCode.INVALID_REQUEST);
      expect(error.details).toEqual([message]);
    }
    const badKey = await rejectionOf(client.startJobUpdate(request({ ...base, taskConfig: { ...base.taskConfig, job: { role: 'www data', environment: 'prod', name: 'x' } } }), 'x'));
    expect(badKey.details[0]).toContain('role');
    const neither = await client.callRaw('getJobUpdateDetails', [undefined, undefined]);
    expect(neither.responseCode).toBe(ResponseCode.ERROR);
    expect(neither.details![0]!.message).toBe('Either key or query must be set.');
    // An update that creates a job from nothing is fine.
    const fresh = await start(request(job('fromscratch', 1, 'v1')));
    expect(await finish(fresh)).toBe(JobUpdateStatus.ROLLED_FORWARD);
    await client.killTasks(fresh.job!, [], 'done');
  });
});
