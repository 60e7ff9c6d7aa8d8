/**
 * Writes whose reply is lost are checked, not blindly repeated: against a real HTTP scheduler that
 * applies the call and then cuts the connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { resolveTransport } from '../../src/client/connect.js';
import { AuroraResponseError } from '../../src/client/errors.js';
import { CLIENT_UPDATE_ID_KEY, createJobSafely, startJobUpdateSafely, type SafeWriteEvent } from '../../src/client/safe-writes.js';
import { AuroraTransportError } from '../../src/errors.js';
import { JobUpdateStatus, type JobConfiguration, type JobUpdateRequest } from '../../src/gen/types.js';
import { startFakeScheduler, type FakeScheduler } from './fake-scheduler.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function setup(): Promise<{ s: FakeScheduler; client: AuroraClient }> {
  const s = await startFakeScheduler();
  const client = new AuroraClient({ transport: resolveTransport({ url: s.url, netrc: false, timeoutMs: 3000, retry: { minDelayMs: 5, maxDelayMs: 20 } }) });
  open.push(s, client);
  return { s, client };
}

const key = { role: 'www-data', environment: 'prod', name: 'hello' };
const job = (data = '{"cmd":"serve"}'): JobConfiguration => ({
  key,
  owner: { user: 'www-data' },
  instanceCount: 2,
  taskConfig: { job: key, isService: true, priority: 0, maxTaskFailures: 1, resources: [{ numCpus: 1 }], constraints: [], executorConfig: { name: 'my-executor', data }, container: { mesos: {} } },
});
const updateRequest = (): JobUpdateRequest => ({
  taskConfig: job('{"cmd":"serve","v":2}').taskConfig,
  instanceCount: 2,
  settings: { updateGroupSize: 1 },
  metadata: [{ key: 'ticket', value: 'OPS-1' }],
});
const fast = { minDelayMs: 5, maxDelayMs: 20 };

describe('createJobSafely', () => {
  it('a plain createJob whose reply is lost leaves the caller unsure', async () => {
    const { s, client } = await setup();
    s.dropReplyAfter('createJob', 1);
    await expect(client.createJob(job())).rejects.toBeInstanceOf(AuroraTransportError);
    expect(s.jobs.size).toBe(1); // ...although the scheduler did create it
  });

  it('finds the job a lost reply created instead of sending createJob again', async () => {
    const { s, client } = await setup();
    s.dropReplyAfter('createJob', 1);
    const events: SafeWriteEvent[] = [];
    const outcome = await createJobSafely(client, job(), { ...fast, onEvent: (e) => events.push(e) });
    expect(outcome).toEqual({ attempts: 1, recovered: true, response: undefined });
    expect(s.calls).toEqual(['createJob', 'getJobSummary']);
    expect(events.map((e) => e.type)).toEqual(['ambiguous', 'confirmed']);
  });

  it('sends again when the scheduler never got the job', async () => {
    const { s, client } = await setup();
    s.resetBefore(1);
    const outcome = await createJobSafely(client, job(), fast);
    expect(outcome).toMatchObject({ attempts: 2, recovered: false });
    expect(s.calls).toEqual(['getJobSummary', 'createJob']);
    expect(s.jobs.size).toBe(1);
  });

  it('does not claim a job someone else created with another configuration', async () => {
    const { s, client } = await setup();
    s.jobs.set('www-data/prod/hello', job('{"cmd":"theirs"}'));
    s.resetBefore(1);
    const error = await createJobSafely(client, job(), fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraResponseError);
    expect((error as Error).message).toBe('createJob: INVALID_REQUEST: Job already exists: www-data/prod/hello');
    expect(s.calls).toEqual(['getJobSummary', 'createJob', 'getJobSummary']);
  });

  it('says the outcome is unknown when the check fails as well', async () => {
    const { s, client } = await setup();
    s.dropReplyAfter('createJob', 1);
    const broken = { ...client, createJob: client.createJob.bind(client), getJobSummary: () => Promise.reject(new Error('scheduler unreachable')) };
    const error = await createJobSafely(broken as unknown as AuroraClient, job(), fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect((error as Error).message).toMatch(/^createJob: .*; whether the scheduler applied it is unknown, because checking failed: scheduler unreachable$/);
  });
});

describe('startJobUpdateSafely', () => {
  it('tags the update with a fresh client update id and keeps other metadata', async () => {
    const { s, client } = await setup();
    const outcome = await startJobUpdateSafely(client, updateRequest(), 'rolling out v2');
    expect(outcome.clientUpdateId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(outcome).toMatchObject({ key: { id: 'update-1', job: key }, attempts: 1, recovered: false });
    expect(s.updates[0]!.metadata).toEqual([
      { key: 'ticket', value: 'OPS-1' },
      { key: CLIENT_UPDATE_ID_KEY, value: outcome.clientUpdateId },
    ]);
  });

  it('finds the update a lost reply started instead of starting a second one', async () => {
    const { s, client } = await setup();
    s.dropReplyAfter('startJobUpdate', 1);
    const outcome = await startJobUpdateSafely(client, updateRequest(), 'v2', fast);
    expect(outcome).toMatchObject({ key: { id: 'update-1' }, attempts: 1, recovered: true });
    expect(s.updates).toHaveLength(1);
    expect(s.calls).toEqual(['startJobUpdate', 'getJobUpdateSummaries']);
  });

  it('finds it even when the update already finished, so it is not run twice', async () => {
    const { s, client } = await setup();
    s.finishUpdatesAtOnce = true; // a no-op update is over before the client can ask
    s.dropReplyAfter('startJobUpdate', 1);
    const outcome = await startJobUpdateSafely(client, updateRequest(), 'v2', fast);
    expect(outcome).toMatchObject({ recovered: true, key: { id: 'update-1' } });
    expect(outcome.updateSummary?.state?.status).toBe(JobUpdateStatus.ROLLED_FORWARD);
    expect(s.updates).toHaveLength(1);
  });

  it('takes "an update is already active" as success when that update carries our id', async () => {
    const { s, client } = await setup();
    const first = await startJobUpdateSafely(client, updateRequest(), 'v2');
    // A re-run that reuses the id (as a retry after a crash would): refused by the scheduler, yet ours.
    const again = { ...updateRequest(), metadata: [{ key: CLIENT_UPDATE_ID_KEY, value: first.clientUpdateId }] };
    const outcome = await startJobUpdateSafely(client, again, 'v2');
    expect(outcome).toMatchObject({ key: { id: 'update-1' }, clientUpdateId: first.clientUpdateId });
    expect(s.updates).toHaveLength(1);
  });

  it("reports someone else's active update as the scheduler's refusal", async () => {
    const { client } = await setup();
    await startJobUpdateSafely(client, updateRequest(), 'theirs');
    const error = await startJobUpdateSafely(client, updateRequest(), 'mine').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraResponseError);
    expect((error as AuroraResponseError).codeName).toBe('INVALID_REQUEST');
  });

  it('needs the job key to be able to check', async () => {
    const { client } = await setup();
    await expect(startJobUpdateSafely(client, { instanceCount: 1, taskConfig: {} })).rejects.toThrow(
      'taskConfig.job: a job key with role, environment and name is required to check for a lost write',
    );
  });
});
