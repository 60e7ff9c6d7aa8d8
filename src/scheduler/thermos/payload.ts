import { AuroraValidationError } from '../../errors.js';

/**
 * The Thermos task payload that Aurora puts in `ExecutorConfig.data` for `AuroraExecutor`, with
 * Thermos' defaults applied. Unknown keys (logger, health_check_config, ...) are accepted and
 * ignored: real payloads carry many. This module imports nothing outside node's builtins and
 * errors.ts, because it runs inside the task sandbox as part of the executor.
 */

export interface ThermosProcess {
  name: string;
  cmdline: string;
  /** Failed runs before the process is given up on; 0 = retry forever. Default 1. */
  max_failures: number;
  /** Re-run after success too (after min_duration). Default false. */
  daemon: boolean;
  /** Not waited for: the task may finish while it runs. Default false. */
  ephemeral: boolean;
  /** Seconds between the starts of two runs of this process. Default 5. */
  min_duration: number;
  /** Runs in the finalization stage, after the ordinary processes. Default false. */
  final: boolean;
}

export interface ThermosTask {
  name: string;
  processes: ThermosProcess[];
  constraints: Array<{ order: string[] }>;
  /** Permanently failed processes that make the task fail. Default 1. */
  max_failures: number;
  /** Processes running at once; 0 = unlimited. Default 0. */
  max_concurrency: number;
  /** Seconds for cleaning up plus finalizing processes. Default 30. */
  finalization_wait: number;
  resources?: Record<string, unknown>;
}

export interface ThermosPayload {
  name?: string;
  role?: string;
  environment?: string;
  cluster?: string;
  task: ThermosTask;
}

/** Values Thermos binds at run time: `{{thermos.ports[http]}}`, `{{mesos.instance}}`, ... */
export interface ThermosBindings {
  ports?: Record<string, number>;
  taskId?: string;
  user?: string;
  instance?: number;
  hostname?: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(obj: Json, key: string, field: string, fallback: number): number {
  const value = obj[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new AuroraValidationError(field, 'must be an integer >= 0');
  }
  return value;
}

function seconds(obj: Json, key: string, field: string, fallback: number): number {
  const value = obj[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new AuroraValidationError(field, 'must be a number of seconds >= 0');
  }
  return value;
}

function bool(obj: Json, key: string, field: string): boolean {
  const value = obj[key] ?? false;
  if (typeof value !== 'boolean') throw new AuroraValidationError(field, 'must be true or false');
  return value;
}

function optionalString(obj: Json, key: string, field: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AuroraValidationError(field, 'must be a string');
  return value;
}

/** Validates a parsed payload and fills in Thermos' defaults. Throws AuroraValidationError. */
export function parseThermosPayload(input: unknown): ThermosPayload {
  if (!isObject(input)) throw new AuroraValidationError('', 'the Thermos payload must be a JSON object');
  const rawTask = input.task;
  if (!isObject(rawTask)) throw new AuroraValidationError('task', 'must be an object with name and processes');
  if (!Array.isArray(rawTask.processes) || rawTask.processes.length === 0) {
    throw new AuroraValidationError('task.processes', 'must be a non-empty list of processes');
  }
  const seen = new Set<string>();
  const processes = rawTask.processes.map((raw: unknown, i: number): ThermosProcess => {
    const field = `task.processes[${i}]`;
    if (!isObject(raw)) throw new AuroraValidationError(field, 'must be an object with name and cmdline');
    const name = raw.name;
    if (typeof name !== 'string' || name === '' || name.includes('/') || name.includes('\0') || name.startsWith('.')) {
      throw new AuroraValidationError(`${field}.name`, 'must be a file-name-like string (no slashes, not starting with a period)');
    }
    if (seen.has(name)) throw new AuroraValidationError(`${field}.name`, `duplicate process name '${name}'`);
    seen.add(name);
    if (typeof raw.cmdline !== 'string') throw new AuroraValidationError(`${field}.cmdline`, 'must be a string');
    return {
      name,
      cmdline: raw.cmdline,
      max_failures: integer(raw, 'max_failures', `${field}.max_failures`, 1),
      daemon: bool(raw, 'daemon', `${field}.daemon`),
      ephemeral: bool(raw, 'ephemeral', `${field}.ephemeral`),
      min_duration: seconds(raw, 'min_duration', `${field}.min_duration`, 5),
      final: bool(raw, 'final', `${field}.final`),
    };
  });
  const byName = new Map(processes.map((p) => [p.name, p]));
  const rawConstraints = rawTask.constraints ?? [];
  if (!Array.isArray(rawConstraints)) throw new AuroraValidationError('task.constraints', 'must be a list of {"order": [...]}');
  const constraints = rawConstraints.map((raw: unknown, i: number) => {
    const field = `task.constraints[${i}].order`;
    if (!isObject(raw) || !Array.isArray(raw.order) || raw.order.some((n) => typeof n !== 'string')) {
      throw new AuroraValidationError(field, 'must be a list of process names');
    }
    const order = raw.order as string[];
    for (const name of order) {
      if (!byName.has(name)) throw new AuroraValidationError(field, `names unknown process '${name}'`);
    }
    const finals = new Set(order.map((n) => byName.get(n)?.final));
    if (finals.size > 1) {
      throw new AuroraValidationError(field, 'may not mix final and ordinary processes');
    }
    return { order };
  });
  const task: ThermosTask = {
    name: optionalString(rawTask, 'name', 'task.name') ?? (processes[0] as ThermosProcess).name,
    processes,
    constraints,
    max_failures: integer(rawTask, 'max_failures', 'task.max_failures', 1),
    max_concurrency: integer(rawTask, 'max_concurrency', 'task.max_concurrency', 0),
    finalization_wait: seconds(rawTask, 'finalization_wait', 'task.finalization_wait', 30),
    ...(isObject(rawTask.resources) ? { resources: rawTask.resources } : {}),
  };
  const cycle = findCycle(task);
  if (cycle) throw new AuroraValidationError('task.constraints', `order constraints form a cycle: ${cycle.join(' -> ')}`);
  return {
    name: optionalString(input, 'name', 'name'),
    role: optionalString(input, 'role', 'role'),
    environment: optionalString(input, 'environment', 'environment'),
    cluster: optionalString(input, 'cluster', 'cluster'),
    task,
  };
}

/** For each process, the processes that must succeed before it may start. */
export function dependencies(task: ThermosTask): Map<string, Set<string>> {
  const deps = new Map(task.processes.map((p) => [p.name, new Set<string>()]));
  for (const { order } of task.constraints) {
    for (let i = 1; i < order.length; i += 1) {
      if (order[i] !== order[i - 1]) deps.get(order[i] as string)?.add(order[i - 1] as string);
    }
  }
  return deps;
}

function findCycle(task: ThermosTask): string[] | undefined {
  const deps = dependencies(task);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const p of task.processes) {
    const found = visit(p.name);
    if (found) return found.reverse();
  }
  return undefined;
}

const REFERENCE = /\{\{\s*((?:thermos|mesos)\.[^}]*?)\s*\}\}/g;

/**
 * Substitutes the run-time namespaces Thermos owns; other `{{...}}` text is left as is (the client
 * binds everything else before submitting). An unbound thermos/mesos reference is an error.
 */
export function bindCmdline(processName: string, cmdline: string, bindings: ThermosBindings): string {
  return cmdline.replace(REFERENCE, (whole, ref: string) => {
    const port = /^thermos\.ports\[\s*([^\]\s]+)\s*\]$/.exec(ref);
    let value: string | number | undefined;
    if (port) value = bindings.ports?.[port[1] as string];
    else if (ref === 'thermos.task_id') value = bindings.taskId;
    else if (ref === 'thermos.user') value = bindings.user;
    else if (ref === 'mesos.instance') value = bindings.instance;
    else if (ref === 'mesos.hostname') value = bindings.hostname;
    if (value === undefined) {
      throw new AuroraValidationError(`process '${processName}'.cmdline`, `unbound reference ${whole}`);
    }
    return String(value);
  });
}
