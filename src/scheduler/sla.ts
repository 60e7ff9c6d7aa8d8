/**
 * SLA checks before taking a task down, as Aurora's SlaManager does them for host maintenance
 * (slaDrainHosts) and SLA-aware job updates: a count or percentage policy counts the job's other
 * instances that have been RUNNING long enough; a coordinator policy asks an external HTTP service.
 * One scheduler has one SlaManager (`core.sla`, made with the scheduler-wide SLA settings), so
 * maintenance and updates share the per-coordinator lock.
 */
import {
  ACTIVE_STATES,
  ScheduleStatus,
  type CoordinatorSlaPolicy,
  type ScheduledTask,
  type SlaPolicy,
} from '../gen/types.js';
import { nodeHttpFetch } from '../transport/node-http.js';
import { isProduction } from './quota/index.js';
import { lastEventTime, type TaskStore } from './tasks.js';

export interface SlaOptions {
  /** Jobs with fewer active tasks skip count/percentage checks (Aurora's -min_required_instances_for_sla_check; default 20). */
  minRequiredInstances?: number;
  /** Apply count/percentage checks to non-production tasks too (Aurora's -sla_aware_kill_non_prod; default false). */
  awareKillNonProd?: boolean;
  /** A coordinator must answer within this many ms, else the check fails this round (default 10 000). */
  coordinatorTimeoutMs?: number;
  now?: () => number;
}

/** SlaManager.TASK_PARAM: the query parameter and body field naming the task. */
const TASK_PARAM = 'task';
/** The coordinator's answer field when the policy names none. */
const DEFAULT_STATUS_KEY = 'drain';
/** Largest coordinator reply read; anything bigger is not an answer. */
const MAX_REPLY_BYTES = 1 << 20;

/** What a check needs of the scheduler: its tasks and the cluster name used in task keys. */
export interface SlaContext {
  store: TaskStore;
  clusterName: string;
}

/** Whether a policy sets any of the three kinds (an empty union is no policy). */
export function hasSlaPolicy(policy: SlaPolicy | undefined | null): policy is SlaPolicy {
  return !!policy && !!(policy.percentageSlaPolicy || policy.countSlaPolicy || policy.coordinatorSlaPolicy);
}

/** SlaManager.getTaskKey: `cluster/role/env/name/instance`. */
function slaTaskKey(task: ScheduledTask, clusterName: string): string {
  const assigned = task.assignedTask!;
  const job = assigned.task!.job!;
  return `${clusterName}/${job.role}/${job.environment}/${job.name}/${assigned.instanceId}`;
}

/**
 * The task as Thrift's TSimpleJSONProtocol writes it (what Aurora sends as `taskConfig`): field names
 * as keys, enums and booleans as numbers (true → 1), sets and lists as arrays, maps as objects.
 */
function simpleJson(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(v);
      if (v instanceof Set) return [...(v as Set<unknown>)];
      if (v instanceof Map) return Object.fromEntries(v as Map<unknown, unknown>);
      return v;
    }),
  );
}

/**
 * SlaManager.checkSla (count and percentage policies): would enough of the job's other instances stay
 * RUNNING, each for at least the policy's duration, without this task? Jobs that are not production
 * (unless `awareKillNonProd`) or have fewer than `minRequiredInstances` active tasks pass (skipSla).
 */
function meetsSla(task: ScheduledTask, policy: SlaPolicy, store: TaskStore, options: SlaOptions = {}): boolean {
  const config = task.assignedTask!.task!;
  const total = store.query({ jobKeys: [config.job!], statuses: [...ACTIVE_STATES] }).length;
  const production = (options.awareKillNonProd ?? false) || isProduction(config);
  if (!production || total < (options.minRequiredInstances ?? 20)) return true;
  const durationMs = Number(policy.percentageSlaPolicy?.durationSecs ?? policy.countSlaPolicy?.durationSecs ?? 0) * 1000;
  const now = (options.now ?? Date.now)();
  const id = task.assignedTask!.taskId;
  const running = store
    .query({ jobKeys: [config.job!], statuses: [ScheduleStatus.RUNNING] })
    .filter((t) => t.assignedTask!.taskId !== id && now - lastEventTime(t, ScheduleStatus.RUNNING) > durationMs).length;
  if (policy.percentageSlaPolicy) {
    let required = Number(policy.percentageSlaPolicy.percentage ?? 0);
    // A policy that lets no instance go is relaxed to let exactly one go (SlaManager.meetsSLAInstances).
    if (Math.trunc((1 - required / 100) * total) < 1) required = ((total - 1) / total) * 100;
    return (running / total) * 100 >= required;
  }
  if (policy.countSlaPolicy) {
    let required = Number(policy.countSlaPolicy.count ?? 0);
    if (total - required < 1) required = total - 1;
    return running >= required;
  }
  throw new Error('Expected a percentage/count sla policy.');
}

/**
 * SlaManager.coordinatorAllows: POST `{taskConfig, task, ...params}` to the coordinator with `?task=<key>`;
 * allowed only when it answers 200 with a JSON object whose status key (default "drain") is true.
 * Any other status, a network error, a timeout or an unreadable reply means "not now".
 */
export async function askCoordinator(
  task: ScheduledTask,
  taskKey: string,
  policy: CoordinatorSlaPolicy,
  params: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(policy.coordinatorUrl ?? '');
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  // As Aurora's HTTP client sends it: the key's slashes stay literal (they are legal in a query).
  const query = `${TASK_PARAM}=${encodeURIComponent(taskKey).replace(/%2F/g, '/')}`;
  url.search = url.search ? `${url.search}&${query}` : `?${query}`;
  const body = JSON.stringify({ taskConfig: simpleJson(task), [TASK_PARAM]: taskKey, ...params });
  const reply = await post(url, body, timeoutMs);
  if (!reply || reply.status !== 200) return false;
  let answer: unknown;
  try {
    answer = JSON.parse(reply.body);
  } catch {
    return false;
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return false;
  const key = policy.statusKey ?? DEFAULT_STATUS_KEY;
  return (answer as Record<string, unknown>)[key] === true;
}

/** One POST with a hard deadline over the client's own HTTP sender; undefined when it fails in any way. */
async function post(url: URL, body: string, timeoutMs: number): Promise<{ status: number; body: string } | undefined> {
  try {
    const reply = await nodeHttpFetch(url.href, {
      method: 'POST',
      body: Buffer.from(body),
      // A coordinator is asked rarely: no socket is kept for the next check.
      headers: { 'content-type': 'application/json', connection: 'close' },
      redirect: 'manual',
      // Covers the connection and the whole reply.
      signal: AbortSignal.timeout(timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of reply.body ?? []) {
      const bytes = Buffer.from(chunk);
      size += bytes.length;
      if (size > MAX_REPLY_BYTES) return undefined;
      chunks.push(bytes);
    }
    return { status: reply.status, body: Buffer.concat(chunks).toString('utf8') };
  } catch {
    return undefined;
  }
}

export interface CheckOptions {
  /** Extra string fields for the coordinator's JSON body (maintenance sends its countdown). */
  params?: Record<string, string>;
  /** Act without any check (a maintenance timeout, a task not on an agent yet). */
  force?: boolean;
}

/**
 * Aurora's SlaManager for one scheduler. `checkSlaThenAct` runs `act` only when the policy allows
 * taking `task` down; a coordinator is asked by one caller at a time per URL (a busy coordinator
 * means "not this round"), and `act` runs before that URL is free again, so the coordinator never
 * sees two changes at once.
 */
export class SlaManager {
  private readonly options: SlaOptions;
  private readonly busy = new Set<string>();

  constructor(
    private readonly context: SlaContext,
    options: SlaOptions = {},
  ) {
    this.options = { ...options };
  }

  /** Whether `act` ran. Count/percentage policies decide (and act) synchronously; coordinators asynchronously. */
  checkSlaThenAct(task: ScheduledTask, policy: SlaPolicy | undefined, act: () => void, check: CheckOptions = {}): Promise<boolean> {
    if (check.force || !hasSlaPolicy(policy)) {
      act();
      return Promise.resolve(true);
    }
    if (policy.coordinatorSlaPolicy) return this.askThenAct(task, policy.coordinatorSlaPolicy, act, check.params ?? {});
    if (!meetsSla(task, policy, this.context.store, this.options)) return Promise.resolve(false);
    act();
    return Promise.resolve(true);
  }

  private async askThenAct(task: ScheduledTask, policy: CoordinatorSlaPolicy, act: () => void, params: Record<string, string>): Promise<boolean> {
    const url = policy.coordinatorUrl ?? '';
    // Aurora's striped lock is tried, not waited for: a busy coordinator is asked again next round.
    if (this.busy.has(url)) return false;
    this.busy.add(url);
    try {
      const key = slaTaskKey(task, this.context.clusterName);
      if (!(await askCoordinator(task, key, policy, params, this.options.coordinatorTimeoutMs ?? 10_000))) return false;
      act();
      return true;
    } finally {
      this.busy.delete(url);
    }
  }
}
