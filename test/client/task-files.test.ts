/**
 * The SDK's task files against both back ends: a real local scheduler's sandbox endpoint, and the
 * Mesos agent files API (the stand-in of test/support/mesos-agent.ts, serving the same task's real
 * sandbox the way an agent serves an executor's run directory).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { TaskFileNotFoundError, TaskFiles, readTaskFile, type TaskFileChunk } from '../../src/client/task-files.js';
import type { Cluster } from '../../src/discovery/clusters.js';
import { parseNetrc } from '../../src/discovery/netrc.js';
import { AuroraAuthError, AuroraValidationError } from '../../src/errors.js';
import { ScheduleStatus, type AssignedTask, type JobKey } from '../../src/gen/types.js';
import { startMesosAgent, type MesosAgentStandIn } from '../support/mesos-agent.js';
import { errorOf, shellExecutor, startTestScheduler, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

// stdout: text, UTF-8, bytes that are not UTF-8, quotes, backslashes, tabs and control characters;
// big.bin: 200,000 random bytes (four agent reads); then a line every 200 ms until killed.
const WRITER = [
  `printf 'first line\\n'`,
  `printf 'caf\\303\\251 \\377\\376 "q" \\\\ tab\\there \\001\\033[0m\\n'`,
  'echo to-stderr >&2',
  'mkdir sub',
  'head -c 200000 /dev/urandom > big.bin',
  'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done',
].join('; ');

let local: TestScheduler;
let task: AssignedTask;
let sandbox: string;
const key: JobKey = { role: 'www-data', environment: 'devel', name: 'writer' };

beforeAll(async () => {
  local = await startTestScheduler({ executors: [shellExecutor('writer', WRITER, 'writer-')] });
  await local.client.createJob(testJob({ name: 'writer', executor: 'writer', service: true }));
  const [running] = await waitForRunning(local.client, key, 1);
  task = running!.assignedTask!;
  sandbox = join(local.workDir, 'sandboxes', task.taskId!);
  await waitFor('big.bin and two ticks', () => {
    try {
      return readFileSync(join(sandbox, 'big.bin')).length === 200_000 && readFileSync(join(sandbox, 'stdout'), 'utf8').includes('tick 1');
    } catch {
      return false;
    }
  });
}, 30_000);

afterAll(async () => {
  await local?.close();
});

const onDisk = (file: string) => readFileSync(join(sandbox, file));

describe('from the local scheduler', () => {
  it('reads stdout, stderr and any sandbox file byte for byte, with offsets and lengths', async () => {
    const files = new TaskFiles(local.client);
    const stdout = await files.read(task, {});
    expect(stdout.file).toBe('stdout');
    expect(stdout.offset).toBe(0);
    expect(stdout.data.subarray(0, stdout.size)).toEqual(onDisk('stdout').subarray(0, stdout.size));
    expect((await files.read(task, { file: 'stderr' })).data.toString()).toContain('to-stderr\n');
    const big = await files.read(task, { file: 'big.bin' });
    expect(big.data).toEqual(onDisk('big.bin'));
    expect(big.size).toBe(200_000);

    const middle = await files.read(task, { file: 'big.bin', offset: 70_000, length: 1000 });
    expect(middle).toMatchObject({ offset: 70_000, size: 200_000 });
    expect(middle.data).toEqual(onDisk('big.bin').subarray(70_000, 71_000));
    const tail = await files.read(task, { file: 'big.bin', offset: -100 });
    expect(tail.offset).toBe(199_900);
    expect(tail.data).toEqual(onDisk('big.bin').subarray(199_900));
    expect(await files.size(task, { file: 'big.bin' })).toBe(200_000);
    expect(await files.size(task, { file: 'nothing-here' })).toBeUndefined();
  });

  it('says which file is missing, and refuses a path out of the sandbox before sending anything', async () => {
    const missing = await errorOf(readTaskFile(local.client, task, { file: 'no/such.log' }));
    expect(missing).toBeInstanceOf(TaskFileNotFoundError);
    expect((missing as Error).message).toBe(`no/such.log of task ${task.taskId} is not available: no no/such.log in the sandbox of ${task.taskId}`);
    for (const file of ['../etc/passwd', '/etc/passwd', 'a//b', '']) {
      const bad = await errorOf(readTaskFile(local.client, task, { file }));
      expect(bad).toBeInstanceOf(AuroraValidationError);
      expect((bad as AuroraValidationError).field).toBe('file');
    }
  });
});

describe('from a Mesos agent (files API stand-in)', () => {
  let agent: MesosAgentStandIn;
  const frameworkId = '0c5e1b8a-6f1e-4b8e-9a7c-2f1e5d3c4b2a-0000';
  const onAgent = () => ({ ...task, slaveHost: '127.0.0.1' });

  beforeAll(async () => {
    agent = await startMesosAgent();
    agent.attach({ frameworkId, executorId: `writer-${task.taskId}`, directory: sandbox, taskIds: [task.taskId!] });
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('finds the sandbox in /state and reads it through /files/read, 64 KiB a request, byte for byte', async () => {
    const files = new TaskFiles(local.client, { source: 'agent', agentPort: agent.port, netrc: false });
    agent.requests.length = 0;
    const big = await files.read(onAgent(), { file: 'big.bin' });
    expect(big.data).toEqual(onDisk('big.bin'));
    expect(big.size).toBe(200_000);
    const path = `/frameworks/${frameworkId}/executors/writer-${task.taskId}/runs/latest/big.bin`;
    const reads = agent.requests.filter((r) => r.startsWith('GET /files/read')).map((r) => Object.fromEntries(new URL(r.slice(4), 'http://x').searchParams));
    expect(agent.requests[0]).toBe('GET /state');
    expect(reads).toEqual([
      { path, offset: '-1' },
      { path, offset: '0', length: '65536' },
      { path, offset: '65536', length: '65536' },
      { path, offset: '131072', length: '65536' },
      { path, offset: '196608', length: '3392' },
    ]);

    // Text with non-UTF-8 bytes, quotes, backslashes and control characters comes back unchanged.
    const stdout = await files.read(onAgent(), { length: 200 });
    expect(stdout.data).toEqual(onDisk('stdout').subarray(0, stdout.data.length));
    expect(stdout.data.includes(Buffer.from([0xff, 0xfe]))).toBe(true);
    expect((await files.read(onAgent(), { file: 'big.bin', offset: -10 })).data).toEqual(onDisk('big.bin').subarray(-10));
    // The sandbox was looked up once for all of these.
    expect(agent.requests.filter((r) => r === 'GET /state')).toHaveLength(1);
  });

  it("picks the agent by itself when the scheduler has no sandbox endpoint, and finds the executor by the cluster's task_prefix", async () => {
    const prefixed = await startMesosAgent();
    try {
      // Listed with no tasks: only the executor id `<task_prefix><task id>` can find it.
      prefixed.attach({ frameworkId, executorId: `writer-${task.taskId}`, directory: sandbox, taskIds: [] });
      const cluster = { name: 'mesos', zkPort: 2181, authMechanism: 'UNAUTHENTICATED', extra: {}, source: 'test', agentPort: prefixed.port, customExecutorConfig: local.executorsFile } satisfies Cluster;
      // A "scheduler" without /sandbox: its 404 is not the local scheduler's.
      const notLocal = new AuroraClient({ url: prefixed.url, retry: false });
      const withConfig = { ...onAgent(), task: { ...task.task, executorConfig: { name: 'writer', data: '' } } };
      const chunk = await new TaskFiles(notLocal, { cluster, netrc: false }).read(withConfig, { file: 'stderr' });
      expect(chunk.data.toString()).toContain('to-stderr\n');
      expect(prefixed.requests[0]).toMatch(/^GET \/sandbox\//);

      const unknown = await errorOf(new TaskFiles(local.client, { source: 'agent', agentPort: prefixed.port, netrc: false }).read(onAgent()));
      expect(unknown).toBeInstanceOf(TaskFileNotFoundError);
      expect((unknown as Error).message).toBe(`sandbox of task ${task.taskId} is not available: the Mesos agent at 127.0.0.1:${prefixed.port} does not know the task; its sandbox may have been garbage-collected`);
      notLocal.close();
    } finally {
      await prefixed.close();
    }
  });

  it("answers Mesos' 404 and 400 as a missing file and a bad path", async () => {
    const files = new TaskFiles(local.client, { source: 'agent', agentPort: agent.port, netrc: false });
    const missing = await errorOf(files.read(onAgent(), { file: 'missing.txt' }));
    expect(missing).toBeInstanceOf(TaskFileNotFoundError);
    expect((missing as Error).message).toBe(`missing.txt of task ${task.taskId} is not available: the Mesos agent at 127.0.0.1:${agent.port} has no such file in the task's sandbox`);
    const directory = await errorOf(files.read(onAgent(), { file: 'sub' }));
    expect(directory).toBeInstanceOf(AuroraValidationError);
    expect((directory as Error).message).toBe('file: sub: the Mesos agent refused the read: Cannot read a directory.');
    const unplaced = await errorOf(files.read({ ...task, slaveHost: undefined }));
    expect((unplaced as Error).message).toMatch(/the task has not been placed on an agent/);
  });

  it('follows a file until the task ends, then stops with everything it wrote', { timeout: 30_000 }, async () => {
    const files = new TaskFiles(local.client, { source: 'agent', agentPort: agent.port, netrc: false });
    const chunks: TaskFileChunk[] = [];
    const following = (async () => {
      for await (const chunk of files.follow(onAgent(), { pollMs: 100 })) chunks.push(chunk);
    })();
    await waitFor('two chunks', () => chunks.length >= 2, 10_000);
    await local.client.killTasks(key, [0], 'done following');
    await waitFor('the task killed', async () => (await local.client.getTasksWithoutConfigs({ taskIds: [task.taskId!] })).tasks?.[0]?.status === ScheduleStatus.KILLED, 10_000);
    await following;
    // Contiguous chunks, and together the whole file as it was left.
    let at = 0;
    for (const c of chunks) {
      expect(c.offset).toBe(at);
      at += c.data.length;
    }
    expect(Buffer.concat(chunks.map((c) => c.data))).toEqual(onDisk('stdout'));
  });
});

describe('agents that require HTTP authentication', () => {
  let agent: MesosAgentStandIn;
  beforeAll(async () => {
    agent = await startMesosAgent({ credentials: { username: 'ops', password: 's3cret-agent' } });
    agent.attach({ frameworkId: 'fw', executorId: `writer-${task.taskId}`, directory: sandbox, taskIds: [task.taskId!] });
  });
  afterAll(async () => {
    await agent?.close();
  });

  it("sends the agent host's ~/.netrc credentials, and never the scheduler's", async () => {
    const onAgent = { ...task, slaveHost: '127.0.0.1' };
    // The client carries credentials for the scheduler's origin: none of it may reach the agent.
    const client = new AuroraClient({ url: local.url, auth: { username: 'admin', password: 'scheduler-pass' } });
    try {
      const denied = await errorOf(new TaskFiles(client, { source: 'agent', agentPort: agent.port, netrc: false }).read(onAgent));
      expect(denied).toBeInstanceOf(AuroraAuthError);
      expect((denied as Error).message).toBe(`find the sandbox of ${task.taskId}: HTTP 401 from http://127.0.0.1:${agent.port}/state: no credentials were sent; the Mesos agent asks for Basic authentication`);
      expect(agent.authorizations).toEqual([undefined]);

      const netrc = parseNetrc('machine 127.0.0.1 login ops password s3cret-agent\ndefault login admin password scheduler-pass\n');
      const chunk = await new TaskFiles(client, { source: 'agent', agentPort: agent.port, netrc }).read(onAgent, { file: 'stderr' });
      expect(chunk.data.toString()).toContain('to-stderr');
      const sent = agent.authorizations.filter((a) => a !== undefined);
      expect(new Set(sent)).toEqual(new Set([`Basic ${Buffer.from('ops:s3cret-agent').toString('base64')}`]));

      // A scheduler that asks for credentials on /sandbox is not the local one: the agent is read.
      const guarded = new AuroraClient({ url: agent.url, retry: false, netrc: false });
      const viaAgent = await new TaskFiles(guarded, { agentPort: agent.port, agentAuth: { username: 'ops', password: 's3cret-agent' } }).read(onAgent, { file: 'stderr' });
      expect(viaAgent.data.toString()).toContain('to-stderr');
      guarded.close();

      const wrong = await errorOf(new TaskFiles(client, { source: 'agent', agentPort: agent.port, agentAuth: { username: 'ops', password: 'nope' } }).read(onAgent));
      expect((wrong as Error).message).toBe(`find the sandbox of ${task.taskId}: HTTP 401 from http://127.0.0.1:${agent.port}/state: the Mesos agent rejected the credentials of user "ops"`);
    } finally {
      client.close();
    }
  });
});

describe("the Mesos agent stand-in answers as Mesos' files.cpp does", () => {
  it('offset -1 gives the size; past the end, no data and the offset echoed; 16 pages at most; its errors', async () => {
    const agent = await startMesosAgent();
    try {
      agent.attach({ frameworkId: 'fw', executorId: 'ex', directory: sandbox, taskIds: [] });
      const base = `${agent.url}/files/read?path=${encodeURIComponent('/frameworks/fw/executors/ex/runs/latest/big.bin')}`;
      const get = async (query: string) => {
        const response = await fetch(`${base}${query}`);
        return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
      };
      expect(await get('&offset=-1')).toEqual({ status: 200, type: 'application/json', body: '{"data":"","offset":200000}' });
      expect(await get('')).toEqual({ status: 200, type: 'application/json', body: '{"data":"","offset":200000}' });
      expect(await get('&offset=300000&length=10')).toEqual({ status: 200, type: 'application/json', body: '{"data":"","offset":300000}' });
      // Read as bytes (Latin-1): the data is the file's bytes as they are, one character each.
      const page = JSON.parse(Buffer.from(await (await fetch(`${base}&offset=0`)).arrayBuffer()).toString('latin1')) as { data: string; offset: number };
      expect({ length: page.data.length, offset: page.offset }).toEqual({ length: 65536, offset: 0 });
      expect(Buffer.from(page.data, 'latin1')).toEqual(onDisk('big.bin').subarray(0, 65536));
      expect(await get('&offset=-2')).toMatchObject({ status: 400, body: 'Negative offset provided: -2.\n' });
      expect(await get('&offset=x')).toMatchObject({ status: 400, body: "Failed to parse offset: Failed to convert 'x' to number.\n" });
      expect(await get('&offset=0&length=-5')).toMatchObject({ status: 400, body: 'Negative length provided: -5.\n' });
      expect((await fetch(`${agent.url}/files/read`)).status).toBe(400);
      const missing = await fetch(`${agent.url}/files/read?path=/frameworks/fw/executors/ex/runs/latest/none&offset=0`);
      expect({ status: missing.status, body: await missing.text() }).toEqual({ status: 404, body: '' });
      const escape = await fetch(`${agent.url}/files/read?path=/frameworks/fw/executors/ex/runs/latest/../../../../etc/passwd&offset=0`);
      expect(escape.status).not.toBe(200);
    } finally {
      await agent.close();
    }
  });
});
