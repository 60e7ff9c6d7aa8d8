import { ExecutorConfigError } from './error.js';
import { JsonSyntaxError, parseJsonWithPosition } from '../util/json-syntax.js';
import { CONFIG_FILE_MAX_BYTES, UserFileError, readUserFile } from '../util/user-file.js';
import { describeValue, formatPath, quote, readMessage, type Decoded, type Path } from './proto-json.js';
import { SettingsEntry } from './schema.js';
import {
  THERMOS_EXECUTOR_NAME,
  type CustomExecutor,
  type ExecutorCatalog,
  type ExecutorCommand,
  type ExecutorEnvVar,
  type ExecutorResource,
  type ExecutorUri,
  type ExecutorVolumeMount,
} from './types.js';

/**
 * Parses the text of a `-custom_executor_config` file. Accepts exactly what Aurora's scheduler
 * accepts, plus two Mesos launch-time checks made early (a SCALAR resource needs a non-negative
 * `scalar`). Throws ExecutorConfigError (an AuroraValidationError) naming the field.
 */
export function parseExecutorConfig(text: string, source?: string): ExecutorCatalog {
  try {
    return buildCatalog(decodeText(text), source);
  } catch (e) {
    if (e instanceof ExecutorConfigError && source !== undefined) throw e.withSource(source);
    throw e;
  }
}

/** Reads and parses a settings file; every error names the file, like Aurora's start-up failure. */
export async function loadExecutorConfig(path: string): Promise<ExecutorCatalog> {
  let text: string;
  try {
    text = await readUserFile(path, { what: 'custom executor file', maxBytes: CONFIG_FILE_MAX_BYTES });
  } catch (e) {
    const reason = e instanceof UserFileError ? e.reason : (e as Error).message;
    throw new ExecutorConfigError('', `cannot read the file: ${reason}`, { source: path, cause: e });
  }
  return parseExecutorConfig(text, path);
}

function decodeText(text: string): { raw: unknown; entry: Decoded }[] {
  let doc: unknown;
  try {
    // Aurora's Gson keeps the last of two equal keys; a repeated key here is a setting lost, so it is refused.
    doc = parseJsonWithPosition(text, { rejectDuplicateKeys: true });
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new ExecutorConfigError('', e.message, { cause: e });
    throw e;
  }
  if (!Array.isArray(doc)) {
    throw new ExecutorConfigError(
      '',
      `the executor settings must be a JSON array of {"executor", "task_prefix", "volume_mounts"} objects; got ${describeValue(doc)}`,
    );
  }
  return doc.map((raw, i) => ({ raw, entry: readMessage(SettingsEntry, raw, [i]) }));
}

function buildCatalog(entries: { raw: unknown; entry: Decoded }[], source: string | undefined): ExecutorCatalog {
  const byName = new Map<string, CustomExecutor>();
  const indexByName = new Map<string, number>();
  const executors = entries.map(({ raw, entry }, i) => {
    const executor = toExecutor(entry, raw, [i]);
    const namePath = formatPath([i, 'executor', 'name']);
    if (executor.name === THERMOS_EXECUTOR_NAME) {
      throw new ExecutorConfigError(namePath, `"${THERMOS_EXECUTOR_NAME}" is reserved for the Thermos executor; choose another name`);
    }
    const earlier = indexByName.get(executor.name);
    if (earlier !== undefined) {
      throw new ExecutorConfigError(namePath, `duplicate executor name ${quote(executor.name)}: [${earlier}] already uses it`);
    }
    indexByName.set(executor.name, i);
    byName.set(executor.name, executor);
    return executor;
  });
  return {
    executors,
    get: (name) => byName.get(name),
    names: () => executors.map((e) => e.name),
    ...(source === undefined ? {} : { source }),
  };
}

// Decoded messages hold only fields that were set, with values already type-checked by the spec.
const str = (m: Decoded, key: string): string | undefined => m[key] as string | undefined;
const list = (m: Decoded, key: string): Decoded[] => (m[key] as Decoded[] | undefined) ?? [];

function toExecutor(entry: Decoded, raw: unknown, path: Path): CustomExecutor {
  const info = entry.executor as Decoded;
  const resources = list(info, 'resources').map((r, j) => toResource(r, [...path, 'executor', 'resources', j]));
  const grace = info.shutdown_grace_period as Decoded | undefined;
  return {
    name: str(info, 'name') ?? '',
    command: toCommand((info.command as Decoded | undefined) ?? {}),
    resources,
    taskPrefix: str(entry, 'task_prefix')!,
    volumeMounts: list(entry, 'volume_mounts').map(toVolume),
    overhead: overheadOf(resources),
    ...(grace === undefined ? {} : { shutdownGracePeriodMs: (grace.nanoseconds as number) / 1e6 }),
    labels: list((info.labels as Decoded | undefined) ?? {}, 'labels').map((l) => ({
      key: str(l, 'key')!,
      ...(l.value === undefined ? {} : { value: str(l, 'value')! }),
    })),
    raw,
  };
}

function toCommand(c: Decoded): ExecutorCommand {
  const env = (c.environment as Decoded | undefined) ?? {};
  return {
    ...(c.value === undefined ? {} : { value: str(c, 'value')! }),
    shell: (c.shell as boolean | undefined) ?? true,
    arguments: (c.arguments as string[] | undefined) ?? [],
    uris: list(c, 'uris').map(toUri),
    environment: list(env, 'variables').map(toEnvVar),
    ...(c.user === undefined ? {} : { user: str(c, 'user')! }),
  };
}

function toUri(u: Decoded): ExecutorUri {
  return {
    value: str(u, 'value')!,
    executable: (u.executable as boolean | undefined) ?? false,
    extract: (u.extract as boolean | undefined) ?? true,
    cache: (u.cache as boolean | undefined) ?? false,
    ...(u.output_file === undefined ? {} : { outputFile: str(u, 'output_file')! }),
  };
}

function toEnvVar(v: Decoded): ExecutorEnvVar {
  return {
    name: str(v, 'name')!,
    value: str(v, 'value') ?? '',
    ...(v.type === undefined ? {} : { type: v.type as NonNullable<ExecutorEnvVar['type']> }),
    ...(v.secret === undefined ? {} : { secret: v.secret }),
  };
}

function toResource(r: Decoded, path: Path): ExecutorResource {
  const type = r.type as ExecutorResource['type'];
  const scalar = (r.scalar as Decoded | undefined)?.value as number | undefined;
  // Mesos refuses to launch with these; say so when the scheduler starts, not at every launch.
  if (type === 'SCALAR' && scalar === undefined) {
    throw new ExecutorConfigError(formatPath([...path, 'scalar']), 'is required when type is SCALAR: an object like {"value": 0.25}');
  }
  if (scalar !== undefined && scalar < 0) {
    throw new ExecutorConfigError(formatPath([...path, 'scalar', 'value']), `must not be negative; got ${scalar}`);
  }
  const ranges = r.ranges as Decoded | undefined;
  const set = r.set as Decoded | undefined;
  return {
    name: str(r, 'name')!,
    type,
    ...(scalar === undefined ? {} : { scalar }),
    ...(ranges === undefined
      ? {}
      : { ranges: list(ranges, 'range').map((x) => ({ begin: x.begin as number, end: x.end as number })) }),
    ...(set === undefined ? {} : { set: (set.item as string[] | undefined) ?? [] }),
    ...(r.role === undefined ? {} : { role: str(r, 'role')! }),
  };
}

function toVolume(v: Decoded): ExecutorVolumeMount {
  return {
    containerPath: str(v, 'container_path')!,
    ...(v.host_path === undefined ? {} : { hostPath: str(v, 'host_path')! }),
    mode: v.mode as ExecutorVolumeMount['mode'],
  };
}

function overheadOf(resources: ExecutorResource[]): CustomExecutor['overhead'] {
  const sum = (name: string): number =>
    resources.filter((r) => r.name === name && r.type === 'SCALAR').reduce((acc, r) => acc + (r.scalar ?? 0), 0);
  return { cpus: sum('cpus'), ramMb: sum('mem'), diskMb: sum('disk') };
}
