/**
 * Replies that promise what the output types say: the fields Aurora always sets (FieldDef.always,
 * from thrift/api-notes.mjs) are checked as a reply is decoded, and a method's payload is there on OK.
 * The scheduler's side is a Transport passed in (the client's seam) answering with bytes made by the
 * same codec's server half, in both protocols.
 */
import { describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraProtocolError } from '../../src/errors.js';
import { SCHEMA } from '../../src/gen/schema.js';
import { ResponseCode, ScheduleStatus, type Response } from '../../src/gen/types.js';
import { decodeCall, decodeStruct, encodeCall, encodeReply, encodeStruct, type WireProtocol } from '../../src/protocol/index.js';
import type { Transport, TransportCall } from '../../src/transport/index.js';

const PROTOCOLS: WireProtocol[] = ['binary', 'json'];
const key = { role: 'www-data', environment: 'prod', name: 'hello' };

/** A scheduler stand-in: answers every call with `response`, encoded as the call asked. */
function answering(response: (method: string) => unknown): Transport {
  return {
    url: 'http://scheduler.invalid/api',
    close() {},
    async send(call: TransportCall) {
      const { method, seqid } = decodeCall(call.protocol, call.body);
      return encodeReply(call.protocol, method, seqid, response(method) as Response);
    },
  };
}

function task(overrides: Record<string, unknown> = {}, assigned: Record<string, unknown> = {}) {
  return {
    assignedTask: { taskId: 'www-data-prod-hello-0-1f2e', task: { job: key, isService: true, priority: 0, maxTaskFailures: 1, resources: [{ numCpus: 1 }], constraints: [] }, assignedPorts: {}, instanceId: 0, ...assigned },
    status: ScheduleStatus.RUNNING,
    failureCount: 0,
    timesPartitioned: 0,
    taskEvents: [{ timestamp: 1, status: ScheduleStatus.RUNNING }],
    ...overrides,
  };
}

const ok = (result?: unknown) => ({ responseCode: ResponseCode.OK, details: [], ...(result === undefined ? {} : { result }) });

describe('fields Aurora always sets in replies', () => {
  it('marks them in the schema, never on method arguments', () => {
    expect(SCHEMA.structs.JobKey!.fields.every((f) => f.always === true)).toBe(true);
    expect(SCHEMA.structs.ScheduledTask!.fields.filter((f) => f.always).map((f) => f.name).sort()).toEqual(['assignedTask', 'failureCount', 'status', 'taskEvents', 'timesPartitioned']);
    expect(SCHEMA.structs.AssignedTask!.fields.find((f) => f.name === 'slaveHost')!.always).toBeUndefined();
    for (const m of Object.values(SCHEMA.methods)) for (const a of m.args) expect(a.always, `${m.name}.${a.name}`).toBeUndefined();
  });

  it.each(PROTOCOLS)('%s: a complete reply decodes, and its values are there without checks', async (protocol) => {
    const client = new AuroraClient({ protocol, transport: answering(() => ok({ scheduleStatusResult: { tasks: [task()] } })) });
    const { tasks } = await client.getTasksStatus({ jobKeys: [key] });
    expect(tasks[0]?.assignedTask.taskId).toBe('www-data-prod-hello-0-1f2e');
    expect(tasks[0]?.assignedTask.task.job.name).toBe('hello');
    expect(tasks[0]?.status).toBe(ScheduleStatus.RUNNING);
  });

  it.each(PROTOCOLS)('%s: a task without its id is an AuroraProtocolError naming the field', async (protocol) => {
    const client = new AuroraClient({ protocol, transport: answering(() => ok({ scheduleStatusResult: { tasks: [task({}, { taskId: undefined })] } })) });
    const error = await client.getTasksStatus({ jobKeys: [key] }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraProtocolError);
    expect((error as Error).message).toBe(
      'getTasksStatus.success.result.scheduleStatusResult.tasks.assignedTask.taskId: missing, though Aurora always sets it in replies',
    );
  });

  it.each(PROTOCOLS)('%s: a job key without its name, a task without a status: each named', async (protocol) => {
    const noName = new AuroraClient({ protocol, transport: answering(() => ok({ getJobsResult: { configs: [{ key: { role: 'www-data', environment: 'prod' }, taskConfig: task().assignedTask.task, instanceCount: 1 }] } })) });
    await expect(noName.getJobs('www-data')).rejects.toThrow('getJobs.success.result.getJobsResult.configs.key.name: missing, though Aurora always sets it in replies');
    const noStatus = new AuroraClient({ protocol, transport: answering(() => ok({ scheduleStatusResult: { tasks: [task({ status: undefined })] } })) });
    await expect(noStatus.getTasksWithoutConfigs({})).rejects.toThrow(/scheduleStatusResult\.tasks\.status: missing/);
  });

  it.each(PROTOCOLS)('%s: calls and single structs are decoded without the check (inputs stay permissive)', (protocol) => {
    const call = decodeCall(protocol, encodeCall(protocol, 'killTasks', 1, { job: { role: 'www-data' }, instances: [], message: '' }));
    expect(call.args.job).toEqual({ role: 'www-data', environment: undefined, name: undefined });
    const partial = decodeStruct<{ assignedTask: { taskId?: string } }>(protocol, 'ScheduledTask', encodeStruct(protocol, 'ScheduledTask', { assignedTask: { instanceId: 3 } }));
    expect(partial.assignedTask.taskId).toBeUndefined();
  });

  it.each(PROTOCOLS)('%s: an OK reply without its method\'s result is an AuroraProtocolError, except startJobUpdate\'s "unchanged"', async (protocol) => {
    const client = new AuroraClient({ protocol, transport: answering(() => ok()) });
    const error = await client.getJobs('www-data').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraProtocolError);
    expect((error as Error).message).toBe('getJobs: the reply (OK) carries no result.getJobsResult');
    const unchanged = await client.startJobUpdate({ taskConfig: task().assignedTask.task, instanceCount: 1, settings: {} }, 'm');
    expect(unchanged.key).toBeUndefined();
    expect(unchanged.$response.code).toBe(ResponseCode.OK);
    const killed = await client.killTasks(key, [], 'all of them');
    expect(killed.$response.code).toBe(ResponseCode.OK);
  });
});
