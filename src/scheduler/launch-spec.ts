/**
 * How a task becomes a process: the executor named by `TaskConfig.executorConfig.name` is looked up
 * in the custom executor file (or is Thermos), and its command runs in a fresh sandbox holding the
 * task itself. This is the contract a user's executor relies on (documented in the README):
 *
 *   AURORA_ASSIGNED_TASK       sandbox file with the Thrift-binary AssignedTask (Mesos TaskInfo.data)
 *   AURORA_ASSIGNED_TASK_JSON  sandbox file with the same task as plain JSON, for scripts
 *   AURORA_EXECUTOR_DATA       sandbox file with ExecutorConfig.data
 *   AURORA_TASK_ID, AURORA_INSTANCE_ID, AURORA_JOB (role/env/name), AURORA_PORT_<NAME> per named port
 *   MESOS_SANDBOX, MESOS_DIRECTORY, MESOS_EXECUTOR_ID (task_prefix + task id), MESOS_TASK_ID, ...
 */
import { join } from 'node:path';
import type { ExecutorCatalog } from '../executors/index.js';
import type { ScheduledTask, TaskConfig } from '../gen/types.js';
import { encodeStruct } from '../protocol/index.js';
import type { CommandSpec, FetchUri, LaunchSpec } from './runner/index.js';
import { buildTaskInfo } from './agents/executor-api/task-info.js';
import { DEFAULT_FRAMEWORK_ID } from './runner/environment.js';
import { STATUS_MESSAGE_FILE, thermosCommand } from './thermos/index.js';

export const THERMOS = 'AuroraExecutor';
const TASK_FILE = '.aurora/assigned_task.thrift';
const TASK_JSON_FILE = '.aurora/assigned_task.json';
const DATA_FILE = '.aurora/executor_data';

export interface LaunchSpecContext {
  executors: ExecutorCatalog | undefined;
  sandboxRoot: string;
  killGraceMs: number;
  /** Whether per-job fetcher URIs (TaskConfig.mesosFetcherUris) are honoured. */
  allowFetcherUris: boolean;
  cacheDir?: string;
  /** Aurora's -populate_discovery_info: DiscoveryInfo in the TaskInfo handed to Mesos executors. */
  populateDiscoveryInfo?: boolean;
  clusterName?: string;
}

export function buildLaunchSpec(task: ScheduledTask, context: LaunchSpecContext): LaunchSpec {
  const assigned = task.assignedTask!;
  const config = assigned.task!;
  const taskId = assigned.taskId!;
  const executorName = config.executorConfig?.name;
  const data = config.executorConfig?.data ?? '';
  const sandboxDir = join(context.sandboxRoot, taskId);
  const job = config.job!;

  let command: CommandSpec;
  let uris: FetchUri[] = [];
  let taskPrefix = '';
  let killGraceMs = context.killGraceMs;
  let executorEnv: Record<string, string> = {};
  let mesos: LaunchSpec['mesos'];
  let statusMessageFile: string | undefined;
  if (executorName === THERMOS) {
    statusMessageFile = STATUS_MESSAGE_FILE;
    command = thermosCommand(join(sandboxDir, DATA_FILE), {
      bindings: {
        ports: assigned.assignedPorts ?? {},
        taskId,
        instance: assigned.instanceId,
        hostname: assigned.slaveHost,
        user: config.owner?.user ?? job.role,
      },
    });
    taskPrefix = 'thermos-';
  } else {
    const executor = executorName === undefined ? undefined : context.executors?.get(executorName);
    if (!executor) throw new Error(`Configuration for executor '${executorName ?? ''}' doesn't exist.`);
    if (executor.command.value === undefined) throw new Error(`executor '${executor.name}' has no command value to run`);
    command = { value: executor.command.value, shell: executor.command.shell, arguments: executor.command.arguments };
    uris = executor.command.uris.map((u) => ({ value: u.value, executable: u.executable, extract: u.extract, cache: u.cache, outputFile: u.outputFile }));
    taskPrefix = executor.taskPrefix;
    if (executor.shutdownGracePeriodMs !== undefined) killGraceMs = executor.shutdownGracePeriodMs;
    executorEnv = Object.fromEntries(executor.command.environment.filter((v) => v.type !== 'SECRET').map((v) => [v.name, v.value]));
    // What a Mesos v1 executor receives in LAUNCH, should it subscribe (agents/mesos-driver.ts).
    mesos = {
      taskInfo: buildTaskInfo(assigned, {
        executor,
        agentId: assigned.slaveId ?? assigned.slaveHost ?? '',
        frameworkId: DEFAULT_FRAMEWORK_ID,
        populateDiscoveryInfo: context.populateDiscoveryInfo,
        clusterName: context.clusterName,
      }),
    };
  }
  if (context.allowFetcherUris) {
    for (const u of config.mesosFetcherUris ?? []) {
      uris.push({ value: u.value!, extract: u.extract ?? true, cache: u.cache ?? false, outputFile: u.outputFile });
    }
  }

  const ports = Object.fromEntries(
    Object.entries(assigned.assignedPorts ?? {}).map(([name, port]) => [`AURORA_PORT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`, String(port)]),
  );
  return {
    taskId,
    executorId: `${taskPrefix}${taskId}`,
    sandboxDir,
    command,
    uris,
    killGraceMs,
    cacheDir: context.cacheDir,
    ...(mesos ? { mesos } : {}),
    ...(statusMessageFile !== undefined ? { statusMessageFile } : {}),
    files: {
      [TASK_FILE]: encodeStruct('binary', 'AssignedTask', assigned),
      [TASK_JSON_FILE]: `${JSON.stringify(assigned, jsonReplacer, 2)}\n`,
      [DATA_FILE]: data,
    },
    env: {
      ...executorEnv,
      AURORA_ASSIGNED_TASK: join(sandboxDir, TASK_FILE),
      AURORA_ASSIGNED_TASK_JSON: join(sandboxDir, TASK_JSON_FILE),
      AURORA_EXECUTOR_DATA: join(sandboxDir, DATA_FILE),
      AURORA_TASK_ID: taskId,
      AURORA_INSTANCE_ID: String(assigned.instanceId),
      AURORA_JOB: `${job.role}/${job.environment}/${job.name}`,
      ...ports,
    },
  };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Set) return [...value];
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** CPU, RAM and disk a task takes from the host: its own resources plus its executor's overhead. */
export function taskDemand(config: TaskConfig, executors: ExecutorCatalog | undefined): { cpus: number; ramMb: number; diskMb: number } {
  const own = taskResources(config);
  const name = config.executorConfig?.name;
  const overhead = name && name !== THERMOS ? executors?.get(name)?.overhead : undefined;
  return {
    cpus: own.cpus + (overhead?.cpus ?? 0),
    ramMb: own.ramMb + (overhead?.ramMb ?? 0),
    diskMb: own.diskMb + (overhead?.diskMb ?? 0),
  };
}

/** A task's resources, summed from its `resources` set. */
export function taskResources(config: TaskConfig): { cpus: number; ramMb: number; diskMb: number; gpus: number; ports: string[] } {
  const out = { cpus: 0, ramMb: 0, diskMb: 0, gpus: 0, ports: [] as string[] };
  for (const r of config.resources ?? []) {
    if (r.numCpus !== undefined) out.cpus += r.numCpus;
    if (r.ramMb !== undefined) out.ramMb += r.ramMb;
    if (r.diskMb !== undefined) out.diskMb += r.diskMb;
    if (r.numGpus !== undefined) out.gpus += r.numGpus;
    if (r.namedPort !== undefined) out.ports.push(r.namedPort);
  }
  return out;
}
