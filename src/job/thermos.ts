/**
 * The Thermos executor's payload (`ExecutorConfig.data` for `AuroraExecutor`). Aurora's executor reads
 * it as a pystachio `MesosJob` (apache/aurora src/main/python/apache/aurora/config/schema/base.py and
 * apache/thermos/config/schema_base.py): `{name, role, environment, cluster, task: {name, processes,
 * constraints: [{order}], resources: {cpu, ram, disk, gpu} (bytes), max_failures, max_concurrency,
 * finalization_wait}}`. The checks below are those of ThermosTaskValidator / TaskPlanner, so a task
 * that passes here is one the executor will plan.
 */

import { AURORA_EXECUTOR_NAME } from '../gen/types.js';
import type { ExecutorConfig } from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';
import { builderCopy, sortedKeysJson } from './plain.js';

export const THERMOS_EXECUTOR = AURORA_EXECUTOR_NAME;
const MB = 1024 * 1024;

export interface ThermosProcess {
  name: string;
  cmdline: string;
  /** Failed runs before the process counts as failed; 0 retries forever. Thermos default 1. */
  maxFailures?: number;
  /** Restarted even after a successful exit. Default false. */
  daemon?: boolean;
  /** The task does not wait for it to finish. Default false. */
  ephemeral?: boolean;
  /** Seconds between restarts. Default 5. */
  minDuration?: number;
  /** Runs after all other processes, also when the task is killed. Default false. */
  final?: boolean;
}

export interface ThermosTaskSpec {
  /** Thermos task name; defaults to the job name. */
  name?: string;
  processes: ThermosProcess[];
  /** Each list is one ordering chain: `["fetch", "run"]` runs fetch before run. */
  order?: string[][];
  /** Failed processes before the task fails. Default 1. */
  maxFailures?: number;
  /** Cap on concurrently running processes; 0 is unlimited. Default 0. */
  maxConcurrency?: number;
  /** Seconds allowed for final processes. Default 30. */
  finalizationWait?: number;
}

/** What the payload needs besides the task: the job's identity and resources. */
export interface ThermosContext {
  role: string;
  environment: string;
  name: string;
  cluster?: string;
  service?: boolean;
  cpus: number;
  ramMb: number;
  diskMb: number;
  gpus?: number;
}

export interface ThermosProcessJson {
  name: string;
  cmdline: string;
  max_failures: number;
  daemon: boolean;
  ephemeral: boolean;
  min_duration: number;
  final: boolean;
}

export interface ThermosPayload {
  name: string;
  role: string;
  environment: string;
  cluster?: string;
  service: boolean;
  task: {
    name: string;
    processes: ThermosProcessJson[];
    constraints: { order: string[] }[];
    resources: { cpu: number; ram: number; disk: number; gpu: number };
    max_failures: number;
    max_concurrency: number;
    finalization_wait: number;
  };
}

/**
 * Fluent builder for a Thermos task: `thermosTask().process('run', './server').order('fetch', 'run')`.
 * Immutable, like Job: every setter returns a new ThermosTask and leaves this one as it was.
 */
export class ThermosTask {
  private spec: ThermosTaskSpec;

  constructor(name?: string) {
    this.spec = { processes: [] };
    if (name !== undefined) this.spec.name = name;
  }

  static from(spec: ThermosTaskSpec): ThermosTask {
    const t = new ThermosTask(spec.name);
    Object.assign(t.spec, copySpec(spec));
    return t;
  }

  /** A copy of this builder (of its class) whose spec is a changed copy of this one's. */
  private with(change: (spec: ThermosTaskSpec) => void): this {
    const spec = copySpec(this.spec);
    change(spec);
    const next = builderCopy(this);
    next.spec = spec;
    return next;
  }

  /** Adds a process, or replaces the one with the same name. */
  process(name: string, cmdline: string, options: Omit<ThermosProcess, 'name' | 'cmdline'> = {}): this {
    return this.with((spec) => {
      const p: ThermosProcess = { name, cmdline, ...options };
      const i = spec.processes.findIndex((q) => q.name === name);
      if (i >= 0) spec.processes[i] = p;
      else spec.processes.push(p);
    });
  }

  /** Adds one ordering chain: each process starts after the previous one finished successfully. */
  order(...names: string[]): this {
    return this.with((spec) => {
      (spec.order ??= []).push([...names]);
    });
  }

  maxFailures(n: number): this {
    return this.with((spec) => {
      spec.maxFailures = n;
    });
  }

  maxConcurrency(n: number): this {
    return this.with((spec) => {
      spec.maxConcurrency = n;
    });
  }

  finalizationWait(secs: number): this {
    return this.with((spec) => {
      spec.finalizationWait = secs;
    });
  }

  toSpec(): ThermosTaskSpec {
    return copySpec(this.spec);
  }
}

export function thermosTask(name?: string): ThermosTask {
  return new ThermosTask(name);
}

/** `Thermos.task()`, `Thermos.payload()`, `Thermos.executorConfig()`, `Thermos.EXECUTOR_NAME`. */
export const Thermos = {
  EXECUTOR_NAME: THERMOS_EXECUTOR,
  task: thermosTask,
  payload: thermosPayload,
  executorConfig: thermosExecutorConfig,
  check: checkThermosTask,
  parse: parseThermosPayload,
} as const;

function copySpec(spec: ThermosTaskSpec): ThermosTaskSpec {
  const out: ThermosTaskSpec = { ...spec, processes: spec.processes.map((p) => ({ ...p })) };
  if (spec.order) out.order = spec.order.map((chain) => [...chain]);
  return out;
}

export interface ThermosIssue {
  /** Path inside the task spec, e.g. `processes[1].name` or `order[0]`. */
  field: string;
  message: string;
}

const PROCESS_NAME = /^[^./][^/]*$/;

/** Every reason the Thermos executor would refuse to plan this task; empty when it is fine. */
export function checkThermosTask(spec: ThermosTaskSpec): ThermosIssue[] {
  const issues: ThermosIssue[] = [];
  if (spec.processes.length === 0) {
    issues.push({ field: 'processes', message: 'a Thermos task needs at least one process' });
  }
  const byName = new Map<string, ThermosProcess>();
  spec.processes.forEach((p, i) => {
    if (!PROCESS_NAME.test(p.name)) {
      issues.push({
        field: `processes[${i}].name`,
        message: `invalid process name ${JSON.stringify(p.name)}: may not be empty, start with "." or contain "/"`,
      });
    } else if (byName.has(p.name)) {
      issues.push({ field: `processes[${i}].name`, message: `duplicate process name ${JSON.stringify(p.name)}` });
    }
    byName.set(p.name, p);
    if (p.cmdline.trim() === '') issues.push({ field: `processes[${i}].cmdline`, message: 'may not be empty' });
  });
  const deps = new Map<string, Set<string>>();
  (spec.order ?? []).forEach((chain, c) => {
    const field = `order[${c}]`;
    const unknown = chain.filter((n) => !byName.has(n));
    if (unknown.length > 0) {
      issues.push({ field, message: `unknown process ${JSON.stringify(unknown[0])}; processes are: ${[...byName.keys()].join(', ')}` });
      return;
    }
    const finals = chain.filter((n) => byName.get(n)!.final === true);
    if (finals.length > 0 && finals.length < chain.length) {
      issues.push({ field, message: 'an ordering may not mix final and non-final processes' });
      return;
    }
    for (let k = 1; k < chain.length; k++) {
      const before = byName.get(chain[k - 1]!)!;
      const after = byName.get(chain[k]!)!;
      if (before.daemon) {
        issues.push({ field, message: `Process ${after.name} may not depend upon daemon process ${before.name}` });
        return;
      }
      if (!after.ephemeral && before.ephemeral) {
        issues.push({ field, message: `Non-ephemeral process ${after.name} may not depend upon ephemeral process ${before.name}` });
        return;
      }
      if (!deps.has(after.name)) deps.set(after.name, new Set());
      deps.get(after.name)!.add(before.name);
    }
  });
  if (issues.length === 0 && hasCycle(deps)) {
    issues.push({ field: 'order', message: 'Cycles detected in the task schedule!' });
  }
  return issues;
}

function hasCycle(deps: Map<string, Set<string>>): boolean {
  const state = new Map<string, 1 | 2>(); // 1 visiting, 2 done
  const visit = (n: string): boolean => {
    const s = state.get(n);
    if (s === 1) return true;
    if (s === 2) return false;
    state.set(n, 1);
    for (const d of deps.get(n) ?? []) if (visit(d)) return true;
    state.set(n, 2);
    return false;
  };
  return [...deps.keys()].some(visit);
}

/** The JSON object Aurora's Thermos executor reads. Throws AuroraValidationError for an unplannable task. */
export function thermosPayload(spec: ThermosTaskSpec, ctx: ThermosContext): ThermosPayload {
  const issue = checkThermosTask(spec)[0];
  if (issue) throw new AuroraValidationError(issue.field, issue.message);
  const payload: ThermosPayload = {
    name: ctx.name,
    role: ctx.role,
    environment: ctx.environment,
    service: ctx.service ?? false,
    task: {
      name: spec.name ?? ctx.name,
      processes: spec.processes.map((p) => ({
        name: p.name,
        cmdline: p.cmdline,
        max_failures: p.maxFailures ?? 1,
        daemon: p.daemon ?? false,
        ephemeral: p.ephemeral ?? false,
        min_duration: p.minDuration ?? 5,
        final: p.final ?? false,
      })),
      constraints: (spec.order ?? []).map((order) => ({ order: [...order] })),
      resources: {
        cpu: ctx.cpus,
        ram: Math.round(ctx.ramMb * MB),
        disk: Math.round(ctx.diskMb * MB),
        gpu: ctx.gpus ?? 0,
      },
      max_failures: spec.maxFailures ?? 1,
      max_concurrency: spec.maxConcurrency ?? 0,
      finalization_wait: spec.finalizationWait ?? 30,
    },
  };
  if (ctx.cluster !== undefined) payload.cluster = ctx.cluster;
  return payload;
}

export function thermosExecutorConfig(spec: ThermosTaskSpec, ctx: ThermosContext): ExecutorConfig {
  return { name: THERMOS_EXECUTOR, data: JSON.stringify(thermosPayload(spec, ctx)) };
}

/**
 * Reads a payload back into a task spec (defaults left out), or undefined when `data` is not a
 * payload this module would have written (e.g. one from Aurora's Python client, which carries
 * health checks and announcers): such data should be kept verbatim.
 */
export function parseThermosPayload(data: string, ctx: ThermosContext): ThermosTaskSpec | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  const task = (parsed as Partial<ThermosPayload> | null)?.task;
  if (typeof task !== 'object' || task === null || !Array.isArray(task.processes)) return undefined;
  const spec: ThermosTaskSpec = {
    processes: task.processes.map((p) => {
      const out: ThermosProcess = { name: p.name, cmdline: p.cmdline };
      if (p.max_failures !== 1) out.maxFailures = p.max_failures;
      if (p.daemon !== false) out.daemon = p.daemon;
      if (p.ephemeral !== false) out.ephemeral = p.ephemeral;
      if (p.min_duration !== 5) out.minDuration = p.min_duration;
      if (p.final !== false) out.final = p.final;
      return out;
    }),
  };
  if (task.name !== ctx.name) spec.name = task.name;
  if (Array.isArray(task.constraints) && task.constraints.length > 0) spec.order = task.constraints.map((c) => c.order);
  if (task.max_failures !== 1) spec.maxFailures = task.max_failures;
  if (task.max_concurrency !== 0) spec.maxConcurrency = task.max_concurrency;
  if (task.finalization_wait !== 30) spec.finalizationWait = task.finalization_wait;
  try {
    const again = thermosPayload(spec, { ...ctx, cluster: (parsed as ThermosPayload).cluster });
    return sortedKeysJson(again) === sortedKeysJson(parsed) ? spec : undefined;
  } catch {
    return undefined;
  }
}
