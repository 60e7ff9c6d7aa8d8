/**
 * The TaskInfo an executor receives, against Aurora's MesosTaskFactoryImpl rules: name role/env/name,
 * the task's resources with ports as ranges, the file's ExecutorInfo with executor_id = task_prefix +
 * task id, source and its label, the task's fetcher URIs added, the executor's overhead as its
 * resources, tier and metadata labels, discovery info only when asked, and data = the Thrift-binary
 * AssignedTask. Both encodings carry it intact.
 */
import { describe, expect, it } from 'vitest';
import { parseExecutorConfig } from '../../src/executors/index.js';
import type { AssignedTask } from '../../src/gen/types.js';
import { decodeStruct } from '../../src/protocol/index.js';
import { APPLICATION_JSON, APPLICATION_PROTOBUF, buildTaskInfo, decodeMessage, encodeMessage, TaskInfoType, type MesosJson } from '../../src/scheduler/agents/executor-api/index.js';

const catalog = parseExecutorConfig(
  JSON.stringify([
    {
      executor: {
        name: 'myExecutor',
        command: {
          value: 'myExecutor.a',
          shell: 'false',
          arguments: ['localhost:2181', '-verbose'],
          uris: [{ value: '/dist/myExecutor.a', executable: true, extract: false, cache: true }],
          environment: { variables: [{ name: 'LOG_LEVEL', value: 'debug' }] },
        },
        resources: [
          { name: 'cpus', type: 'SCALAR', scalar: { value: 0.25 } },
          { name: 'mem', type: 'SCALAR', scalar: { value: 128 } },
        ],
        labels: { labels: [{ key: 'from-file', value: 'dropped' }] },
        shutdown_grace_period: { nanoseconds: 7000000000 },
      },
      task_prefix: 'my-executor-',
    },
  ]),
);
const executor = catalog.get('myExecutor')!;

const assigned: AssignedTask = {
  taskId: 'www-data-prod-hello-3-0f4b6c1e-2a59-4c43-9d0e-6a0d3f1b8a77',
  slaveId: 'agent-a-id',
  slaveHost: 'agent-a',
  instanceId: 3,
  assignedPorts: { http: 31001, admin: 31002, metrics: 31010 },
  task: {
    job: { role: 'www-data', environment: 'prod', name: 'hello' },
    owner: { user: 'www-data' },
    isService: true,
    tier: 'preferred',
    resources: [{ numCpus: 1.5 }, { ramMb: 256 }, { diskMb: 512 }, { namedPort: 'http' }, { namedPort: 'admin' }, { namedPort: 'metrics' }],
    metadata: [{ key: 'team', value: 'web' }],
    mesosFetcherUris: [{ value: 'https://example.invalid/app.tgz', extract: true, cache: false }],
    executorConfig: { name: 'myExecutor', data: '{"cmd":"serve"}' },
    constraints: [],
    priority: 0,
    maxTaskFailures: 1,
    production: true,
    container: { mesos: {} },
  },
};

const context = { executor, agentId: 'agent-a-id', frameworkId: 'framework-1' };

describe('buildTaskInfo (MesosTaskFactoryImpl)', () => {
  const info = buildTaskInfo(assigned, context);

  it('names the task role/env/name, with its id, agent and resources (ports as ranges)', () => {
    expect(info.name).toBe('www-data/prod/hello');
    expect(info.task_id).toEqual({ value: assigned.taskId });
    expect(info.agent_id).toEqual({ value: 'agent-a-id' });
    expect(info.resources).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1.5 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 256 } },
      { name: 'disk', type: 'SCALAR', scalar: { value: 512 } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31001, end: 31002 }, { begin: 31010, end: 31010 }] } },
    ]);
  });

  it("carries the file's ExecutorInfo: executor_id = task_prefix + task id, source and its label, fetcher URIs added, overhead as resources", () => {
    const exec = info.executor as MesosJson;
    expect(exec.executor_id).toEqual({ value: `my-executor-${assigned.taskId}` });
    expect(exec.framework_id).toEqual({ value: 'framework-1' });
    expect(exec.name).toBe('myExecutor');
    expect(exec.source).toBe('www-data.prod.hello.3');
    // Aurora replaces the file's labels with the source label.
    expect(exec.labels).toEqual({ labels: [{ key: 'source', value: 'www-data.prod.hello.3' }] });
    expect(exec.command).toEqual({
      value: 'myExecutor.a',
      shell: false,
      arguments: ['localhost:2181', '-verbose'],
      environment: { variables: [{ name: 'LOG_LEVEL', type: 'VALUE', value: 'debug' }] },
      uris: [
        { value: '/dist/myExecutor.a', executable: true, extract: false, cache: true },
        { value: 'https://example.invalid/app.tgz', executable: false, extract: true, cache: false },
      ],
    });
    expect(exec.resources).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.25 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 128 } },
    ]);
    expect(exec.shutdown_grace_period).toEqual({ nanoseconds: 7_000_000_000 });
  });

  it('labels the task with its tier and metadata, and adds no discovery info unless asked', () => {
    expect(info.labels).toEqual({ labels: [{ key: 'org.apache.aurora.tier', value: 'preferred' }, { key: 'org.apache.aurora.metadata.team', value: 'web' }] });
    expect(info.discovery).toBeUndefined();
    const withDiscovery = buildTaskInfo(assigned, { ...context, populateDiscoveryInfo: true, clusterName: 'devcluster' });
    expect(withDiscovery.discovery).toEqual({
      visibility: 'CLUSTER',
      name: 'hello.prod.www-data',
      environment: 'prod',
      location: 'devcluster',
      ports: {
        ports: [
          { number: 31001, name: 'http', protocol: 'TCP' },
          { number: 31002, name: 'admin', protocol: 'TCP' },
          { number: 31010, name: 'metrics', protocol: 'TCP' },
        ],
      },
    });
  });

  it.each([APPLICATION_JSON, APPLICATION_PROTOBUF] as const)('data is the Thrift-binary AssignedTask, intact through %s', (media) => {
    const received = decodeMessage(TaskInfoType, encodeMessage(TaskInfoType, info, media), media);
    expect(received).toEqual(info);
    const decoded = decodeStruct<AssignedTask>('binary', 'AssignedTask', Buffer.from(received.data as string, 'base64'));
    expect(decoded.taskId).toBe(assigned.taskId);
    expect(decoded.instanceId).toBe(3);
    expect(decoded.assignedPorts).toEqual(assigned.assignedPorts);
    expect(decoded.task!.executorConfig).toEqual({ name: 'myExecutor', data: '{"cmd":"serve"}' });
  });
});
