/**
 * The scheduler's custom executor settings (`-custom_executor_config`), as the rest of aurora-ts
 * sees them: camelCase, defaults applied, enums as names. The file itself keeps Aurora's format
 * (a JSON array of `{executor, volume_mounts?, task_prefix}` with a snake_case Mesos ExecutorInfo).
 */

/** Aurora's reserved name for the Thermos executor (api.thrift AURORA_EXECUTOR_NAME). */
export const THERMOS_EXECUTOR_NAME = 'AuroraExecutor';

/** Mesos CommandInfo.URI: something the fetcher puts into the sandbox before the executor starts. */
export interface ExecutorUri {
  value: string;
  /** chmod 755 after fetching (and never extract). Mesos default: false. */
  executable: boolean;
  /** Unpack a recognised archive into the sandbox. Mesos default: true. */
  extract: boolean;
  /** Go through the per-user fetcher cache. Mesos default: false. */
  cache: boolean;
  /** Name of the local copy, relative to the sandbox. */
  outputFile?: string;
}

/** Mesos Environment.Variable. `secret` holds a Mesos Secret as written, when one is given. */
export interface ExecutorEnvVar {
  name: string;
  value: string;
  type?: 'UNKNOWN' | 'VALUE' | 'SECRET';
  secret?: unknown;
}

/**
 * Mesos CommandInfo. `shell` true: `/bin/sh -c value`, arguments ignored. `shell` false: exec
 * `value` with argv exactly `arguments` (so `arguments[0]` is argv[0]).
 */
export interface ExecutorCommand {
  /** Undefined when the file gives none: there is then nothing to run. */
  value?: string;
  shell: boolean;
  arguments: string[];
  uris: ExecutorUri[];
  environment: ExecutorEnvVar[];
  user?: string;
}

export type ExecutorResourceType = 'SCALAR' | 'RANGES' | 'SET' | 'TEXT';

/** Mesos Resource: per-executor overhead on top of each task's own resources. */
export interface ExecutorResource {
  name: string;
  type: ExecutorResourceType;
  scalar?: number;
  ranges?: { begin: number; end: number }[];
  set?: string[];
  role?: string;
}

/** Mesos Volume; Aurora applies these only to tasks that run in a container image. */
export interface ExecutorVolumeMount {
  containerPath: string;
  hostPath?: string;
  mode: 'RO' | 'RW';
}

export interface CustomExecutor {
  /** ExecutorInfo.name; "" when the file leaves it out (Aurora's loader allows that). */
  name: string;
  command: ExecutorCommand;
  resources: ExecutorResource[];
  /** Prepended to the Mesos executor id: `<taskPrefix><taskId>`. */
  taskPrefix: string;
  volumeMounts: ExecutorVolumeMount[];
  /** Sum of the SCALAR resources named cpus, mem and disk, for display and capacity checks. */
  overhead: { cpus: number; ramMb: number; diskMb: number };
  /** ExecutorInfo.shutdown_grace_period in milliseconds, when given. */
  shutdownGracePeriodMs?: number;
  /** ExecutorInfo.labels as key/value pairs. */
  labels: { key: string; value?: string }[];
  /** The entry exactly as it appeared in the file (parsed JSON). */
  raw: unknown;
}

export interface ExecutorCatalog {
  /** In file order. */
  executors: CustomExecutor[];
  get(name: string): CustomExecutor | undefined;
  names(): string[];
  /** Where the settings came from (a file path), when known. */
  source?: string;
}
