/**
 * The Mesos TaskInfo for a task run by a custom executor, built as Aurora's MesosTaskFactoryImpl
 * builds it (scheduler/mesos/MesosTaskFactory.java): what an executor receives in LAUNCH, and what
 * the local agent hands the executors it starts. One function; the agent and the tests use it.
 */
import type { CustomExecutor } from '../../../executors/index.js';
import type { AssignedTask } from '../../../gen/types.js';
import { encodeStruct } from '../../../protocol/index.js';
import { taskResources } from '../../launch-spec.js';
import type { MesosJson } from '../../../mesos/proto.js';

export interface TaskInfoContext {
  /** The executor the task names (TaskConfig.executorConfig.name) from the custom executor file. */
  executor: CustomExecutor;
  /** The Mesos agent id of the agent the task was placed on (the offer's agent_id). */
  agentId: string;
  frameworkId: string;
  /** Aurora's -populate_discovery_info (default false): add DiscoveryInfo for the task's ports. */
  populateDiscoveryInfo?: boolean;
  /** Aurora's -cluster_name: DiscoveryInfo.location. */
  clusterName?: string;
}

const AURORA_LABEL_PREFIX = 'org.apache.aurora';
const TIER_LABEL = `${AURORA_LABEL_PREFIX}.tier`;
const METADATA_LABEL_PREFIX = `${AURORA_LABEL_PREFIX}.metadata.`;
/** Unprefixed on purpose in Aurora: it replaced the removed ExecutorInfo.source field. */
const SOURCE_LABEL = 'source';

export function buildTaskInfo(assigned: AssignedTask, context: TaskInfoContext): MesosJson {
  const config = assigned.task!;
  const job = config.job!;
  const taskId = assigned.taskId!;
  const executor = context.executor;
  // role.env.name.instance: ExecutorInfo.source and its `source` label.
  const sourceName = [job.role, job.environment, job.name, String(assigned.instanceId ?? 0)].join('.');

  const labels: MesosJson[] = [labelOf(TIER_LABEL, config.tier)];
  for (const m of config.metadata ?? []) labels.push(labelOf(`${METADATA_LABEL_PREFIX}${m.key ?? ''}`, m.value));

  const command: MesosJson = { shell: executor.command.shell, arguments: executor.command.arguments };
  if (executor.command.value !== undefined) command.value = executor.command.value;
  if (executor.command.user !== undefined) command.user = executor.command.user;
  if (executor.command.environment.length > 0) {
    command.environment = {
      variables: executor.command.environment.filter((v) => v.type !== 'SECRET').map((v) => ({ name: v.name, type: 'VALUE', value: v.value })),
    };
  }
  // The file's URIs, then the task's own fetcher URIs, which Aurora never marks executable.
  command.uris = [
    ...executor.command.uris.map((u) => uriOf(u.value, u.executable, u.extract, u.cache, u.outputFile)),
    ...(config.mesosFetcherUris ?? []).map((u) => uriOf(u.value ?? '', false, u.extract ?? true, u.cache ?? false, u.outputFile)),
  ];

  const executorInfo: MesosJson = {
    executor_id: { value: `${executor.taskPrefix}${taskId}` },
    framework_id: { value: context.frameworkId },
    command,
    // The executor's overhead, on top of the task's own resources.
    resources: executor.resources.map(resourceOf),
    name: executor.name,
    source: sourceName,
    // Aurora replaces the file's labels with this one.
    labels: { labels: [labelOf(SOURCE_LABEL, sourceName)] },
  };
  if (executor.shutdownGracePeriodMs !== undefined) {
    executorInfo.shutdown_grace_period = { nanoseconds: executor.shutdownGracePeriodMs * 1_000_000 };
  }

  const taskInfo: MesosJson = {
    name: `${job.role}/${job.environment}/${job.name}`,
    task_id: { value: taskId },
    agent_id: { value: context.agentId },
    resources: taskResourcesOf(assigned),
    executor: executorInfo,
    data: encodeStruct('binary', 'AssignedTask', assigned).toString('base64'),
    labels: { labels },
  };
  if (context.populateDiscoveryInfo) {
    taskInfo.discovery = {
      visibility: 'CLUSTER',
      name: [job.name, job.environment, job.role].join('.'),
      environment: job.environment,
      location: context.clusterName,
      ports: {
        ports: Object.entries(assigned.assignedPorts ?? {}).map(([name, number]) => ({ number, name, protocol: 'TCP' })),
      },
    };
  }
  return taskInfo;
}

/** cpus, mem, disk (MB) and ports (as ranges, contiguous ports merged), in Aurora's resource order. */
function taskResourcesOf(assigned: AssignedTask): MesosJson[] {
  const own = taskResources(assigned.task!);
  const out: MesosJson[] = [scalar('cpus', own.cpus), scalar('mem', own.ramMb), scalar('disk', own.diskMb)];
  const ports = [...new Set(Object.values(assigned.assignedPorts ?? {}))].sort((a, b) => a - b);
  if (ports.length > 0) {
    const range: { begin: number; end: number }[] = [];
    for (const port of ports) {
      const last = range[range.length - 1];
      if (last && last.end + 1 === port) last.end = port;
      else range.push({ begin: port, end: port });
    }
    out.push({ name: 'ports', type: 'RANGES', ranges: { range } });
  }
  if (own.gpus > 0) out.push(scalar('gpus', own.gpus));
  return out;
}

function scalar(name: string, value: number): MesosJson {
  return { name, type: 'SCALAR', scalar: { value } };
}

function resourceOf(r: CustomExecutor['resources'][number]): MesosJson {
  const out: MesosJson = { name: r.name, type: r.type };
  if (r.scalar !== undefined) out.scalar = { value: r.scalar };
  if (r.ranges !== undefined) out.ranges = { range: r.ranges };
  if (r.set !== undefined) out.set = { item: r.set };
  if (r.role !== undefined) out.role = r.role;
  return out;
}

function uriOf(value: string, executable: boolean, extract: boolean, cache: boolean, outputFile: string | undefined): MesosJson {
  const uri: MesosJson = { value, executable, extract, cache };
  if (outputFile !== undefined) uri.output_file = outputFile;
  return uri;
}

function labelOf(key: string, value: string | undefined): MesosJson {
  return value === undefined ? { key } : { key, value };
}
