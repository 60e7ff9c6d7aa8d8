/**
 * Role quotas as Aurora's QuotaManagerImpl keeps them: setQuota / getQuota, consumption split into
 * production / non-production and shared / dedicated, and the check that keeps production tasks
 * (tier `preferred`) of the shared pool within their role's quota.
 */
import {
  ACTIVE_STATES,
  type InstanceTaskConfig,
  type JobConfiguration,
  type JobKey,
  type JobUpdateInstructions,
  type Resource,
  type ResourceAggregate,
  type TaskConfig,
} from '../../gen/types.js';
import type { RpcHandlers } from '../api-server.js';
import type { QuotaGate, SchedulerCore } from '../core.js';
import type { SchedulerFeature } from '../features.js';
import type { StateSection } from '../store/state.js';
import { rangesSize, rangesToIds } from '../../update/ranges.js';
import { jobKeyString } from '../tasks.js';

/** The resource types quota counts, in Aurora's order (ResourceType: CPUS, RAM_MB, DISK_MB). */
const TYPES = [
  { field: 'numCpus', name: 'CPU', unit: 'core(s)' },
  { field: 'ramMb', name: 'RAM', unit: 'MB' },
  { field: 'diskMb', name: 'disk', unit: 'MB' },
] as const;
type QuotaField = (typeof TYPES)[number]['field'];

/** Aurora's ResourceBag, limited to quota types: a type is absent until some resource names it. */
export type ResourceBag = Partial<Record<QuotaField, number>>;

/** Production means the `preferred` tier (Aurora derives the `production` flag from the tier). */
export function isProduction(task: TaskConfig): boolean {
  return typeof task.tier === 'string' ? task.tier === 'preferred' : task.production === true;
}

/** A task that asks for hosts of a `dedicated` attribute (ConfigurationManager.isDedicated). */
export function isDedicated(task: TaskConfig): boolean {
  return [...(task.constraints ?? [])].some((c) => c.name === 'dedicated');
}

export function bagOf(resources: Iterable<Resource> | undefined): ResourceBag {
  const bag: ResourceBag = {};
  for (const r of resources ?? []) {
    for (const { field } of TYPES) {
      const value = r[field];
      if (value !== undefined && value !== null) bag[field] = (bag[field] ?? 0) + Number(value);
    }
  }
  return bag;
}

function combine(a: ResourceBag, b: ResourceBag, op: (x: number, y: number) => number): ResourceBag {
  const out: ResourceBag = {};
  for (const { field } of TYPES) {
    if (a[field] !== undefined || b[field] !== undefined) out[field] = op(a[field] ?? 0, b[field] ?? 0);
  }
  return out;
}

const add = (a: ResourceBag, b: ResourceBag) => combine(a, b, (x, y) => x + y);
const max = (a: ResourceBag, b: ResourceBag) => combine(a, b, Math.max);
const scale = (task: TaskConfig, count: number) => combine(bagOf(task.resources), {}, (x) => x * count);

function toAggregate(bag: ResourceBag): ResourceAggregate {
  const resources: Resource[] = [];
  for (const { field } of TYPES) {
    const value = bag[field];
    if (value === undefined) continue;
    resources.push(field === 'numCpus' ? { numCpus: value } : ({ [field]: Math.round(value) } as unknown as Resource));
  }
  return { resources };
}

function describe(bag: ResourceBag): string {
  return `{${TYPES.filter((t) => bag[t.field] !== undefined)
    .map((t) => `${t.name}=${Number(bag[t.field]!.toFixed(6))}`)
    .join(', ')}}`;
}

/**
 * QuotaCheckResult.greaterOrEqual: "" when `quota` covers `requested`, else Aurora's details,
 * e.g. "CPU quota exceeded by 0.50 core(s); RAM quota exceeded by 64.00 MB".
 */
export function quotaShortfall(quota: ResourceBag, requested: ResourceBag): string {
  const over: string[] = [];
  const difference = combine(quota, requested, (x, y) => x - y);
  for (const t of TYPES) {
    const value = difference[t.field];
    // Sums of doubles such as 0.1 + 0.2 must not count as an overage of 0.00.
    if (value !== undefined && value < -1e-9) over.push(`${t.name} quota exceeded by ${Math.abs(value).toFixed(2)} ${t.unit}`);
  }
  return over.join('; ');
}

export interface QuotaInfo {
  quota: ResourceBag;
  prodShared: ResourceBag;
  prodDedicated: ResourceBag;
  nonProdShared: ResourceBag;
  nonProdDedicated: ResourceBag;
}

/** Every instance an update replaces, adds or removes: its old and its new instances. */
function updatedInstances(instructions: JobUpdateInstructions): Set<number> {
  const groups = [...(instructions.initialState ?? []), ...(instructions.desiredState ? [instructions.desiredState] : [])];
  return rangesToIds(groups.flatMap((g) => [...(g.instances ?? [])]));
}

/** QuotaManager.updateResources: max(old configs, new config) per resource, over the matching configs. */
function updateConsumption(instructions: JobUpdateInstructions, filter: (t: TaskConfig) => boolean): ResourceBag {
  const total = (groups: readonly InstanceTaskConfig[]): ResourceBag =>
    groups.filter((g) => filter(g.task!)).reduce<ResourceBag>((bag, g) => add(bag, scale(g.task!, rangesSize(g.instances))), {});
  return max(total([...(instructions.initialState ?? [])]), total(instructions.desiredState ? [instructions.desiredState] : []));
}


/** What the cron feature asks of quota in addition to the core's gate (QuotaManager.checkCronUpdate). */
export interface CronQuotaCheck {
  checkCronUpdate(job: JobConfiguration, previous: JobConfiguration | undefined): string | undefined;
}

const PROD_SHARED = (t: TaskConfig): boolean => isProduction(t) && !isDedicated(t);

export class QuotaManager implements QuotaGate, CronQuotaCheck {
  private readonly quotas = new Map<string, ResourceBag>();
  private readonly stored: StateSection | undefined;

  constructor(private readonly core: SchedulerCore) {
    if (core.state) {
      this.stored = core.state.section('quota', (role) => {
        const bag = this.quotas.get(role);
        return bag ? JSON.stringify(bag) : undefined;
      });
      for (const [role, json] of this.stored.load()) this.quotas.set(role, JSON.parse(json.toString('utf8')) as ResourceBag);
    }
  }

  /**
   * QuotaManager.getQuotaInfo: what the role consumes. A job with an active update (or `requested`, the
   * one being checked) counts, for the instances the update touches, the larger per resource of their
   * old and new configs (they may run side by side while it rolls); its other instances count their tasks.
   */
  info(role: string, requested?: { job: JobKey; instructions: JobUpdateInstructions }): QuotaInfo {
    const consumption = this.consumption(role, requested);
    return {
      quota: this.quotas.get(role) ?? {},
      prodShared: consumption(PROD_SHARED),
      prodDedicated: consumption((t) => isProduction(t) && isDedicated(t)),
      nonProdShared: consumption((t) => !isProduction(t) && !isDedicated(t)),
      nonProdDedicated: consumption((t) => !isProduction(t) && isDedicated(t)),
    };
  }

  /** The role's quota and what its production tasks of the shared pool consume: all that the checks need of info(). */
  private prodShared(role: string, requested?: { job: JobKey; instructions: JobUpdateInstructions }): { quota: ResourceBag; prodShared: ResourceBag } {
    return { quota: this.quotas.get(role) ?? {}, prodShared: this.consumption(role, requested)(PROD_SHARED) };
  }

  /** What the role's tasks matching a filter consume (see info()). */
  private consumption(role: string, requested?: { job: JobKey; instructions: JobUpdateInstructions }): (filter: (t: TaskConfig) => boolean) => ResourceBag {
    const active = this.core.lifecycle.store.query({ role, statuses: [...ACTIVE_STATES] });
    const crons = this.core.cronJobs(role);
    const cronKeys = new Set(crons.map((j) => jobKeyString(j.key)));
    const updates = this.core.activeUpdateInstructions(role);
    if (requested) updates.set(jobKeyString(requested.job), requested.instructions);
    const touched = new Map([...updates].map(([job, instructions]) => [job, updatedInstances(instructions)]));
    // Each task's job key once (a role may have hundreds of cron jobs, and each info() is four passes).
    const byJob = new Map<string, TaskConfig[]>();
    // buildNonUpdatingTasksFilter: tasks the updates do not account for (cron jobs' tasks count with their job below).
    const unaffected: TaskConfig[] = [];
    for (const t of active) {
      const task = t.assignedTask!.task!;
      const key = jobKeyString(task.job);
      const list = byJob.get(key);
      if (list) list.push(task);
      else byJob.set(key, [task]);
      if (!cronKeys.has(key) && !touched.get(key)?.has(t.assignedTask!.instanceId!)) unaffected.push(task);
    }
    const consumption = (filter: (t: TaskConfig) => boolean): ResourceBag => {
      let total: ResourceBag = {};
      for (const t of unaffected) if (filter(t)) total = add(total, bagOf(t.resources));
      for (const instructions of updates.values()) total = add(total, updateConsumption(instructions, filter));
      // A cron job counts as the larger of its template and its running tasks, per resource.
      for (const cron of crons) {
        if (!filter(cron.taskConfig!)) continue;
        const running = (byJob.get(jobKeyString(cron.key)) ?? []).filter(filter).reduce<ResourceBag>((bag, t) => add(bag, bagOf(t.resources)), {});
        total = add(total, max(scale(cron.taskConfig!, cron.instanceCount ?? 0), running));
      }
      return total;
    };
    return consumption;
  }

  /** QuotaManager.checkInstanceAddition; only production tasks of the shared pool are checked. */
  check(task: TaskConfig, instances: number): string | undefined {
    if (!isProduction(task) || isDedicated(task)) return undefined;
    const info = this.prodShared(task.job!.role!);
    return this.verdict(info.quota, add(info.prodShared, scale(task, instances)));
  }

  /** QuotaManager.checkJobUpdate: updates to a non-production config, or only removing instances, pass. */
  checkUpdate(job: JobKey, instructions: JobUpdateInstructions): string | undefined {
    const desired = instructions.desiredState?.task;
    if (!desired || !isProduction(desired) || isDedicated(desired)) return undefined;
    const info = this.prodShared(job.role!, { job, instructions });
    return this.verdict(info.quota, info.prodShared);
  }

  checkCronUpdate(job: JobConfiguration, previous: JobConfiguration | undefined): string | undefined {
    const task = job.taskConfig!;
    if (!isProduction(task)) return undefined;
    const info = this.prodShared(job.key!.role!);
    const old = previous ? scale(previous.taskConfig!, previous.instanceCount ?? 0) : {};
    const delta = combine(scale(task, job.instanceCount ?? 0), old, (x, y) => x - y);
    return this.verdict(info.quota, add(info.prodShared, delta));
  }

  private verdict(quota: ResourceBag, requested: ResourceBag): string | undefined {
    const details = quotaShortfall(quota, requested);
    return details === '' ? undefined : `Insufficient resource quota: ${details}`;
  }

  /** QuotaManager.saveQuota: the reason it is refused, or undefined once saved. */
  save(role: string, aggregate: ResourceAggregate): string | undefined {
    const resources = [...(aggregate.resources ?? [])];
    const negative = resources.some((r) => (r.numCpus ?? 0) < 0 || Number(r.ramMb ?? 0) < 0 || Number(r.diskMb ?? 0) < 0);
    const bag = bagOf(resources);
    if (negative) return `Negative values in: ${describe(bag)}`;
    const prod = this.prodShared(role).prodShared;
    if (quotaShortfall(bag, prod) !== '') {
      return `Quota: ${describe(bag)} is less then current prod reservation: ${describe(prod)}`;
    }
    this.quotas.set(role, bag);
    this.stored?.changed(role);
    return undefined;
  }

  handlers(): RpcHandlers {
    const r = this.core.responses;
    return {
      getQuota: ({ ownerRole }) => {
        if (typeof ownerRole !== 'string' || ownerRole.trim() === '') return r.invalid('ownerRole must be a non-empty role name.');
        const info = this.info(ownerRole);
        return r.ok({
          getQuotaResult: {
            quota: toAggregate(info.quota),
            prodSharedConsumption: toAggregate(info.prodShared),
            prodDedicatedConsumption: toAggregate(info.prodDedicated),
            nonProdSharedConsumption: toAggregate(info.nonProdShared),
            nonProdDedicatedConsumption: toAggregate(info.nonProdDedicated),
          },
        });
      },
      setQuota: ({ ownerRole, quota }) => {
        if (typeof ownerRole !== 'string' || ownerRole.trim() === '') return r.invalid('ownerRole must be a non-empty role name.');
        if (!quota || typeof quota !== 'object') return r.invalid('quota must be a ResourceAggregate.');
        const problem = this.save(ownerRole, quota as ResourceAggregate);
        if (problem) return r.invalid(problem);
        this.core.persist();
        return r.ok();
      },
    };
  }
}

export function quotaFeature(core: SchedulerCore): SchedulerFeature {
  const manager = new QuotaManager(core);
  core.quota = manager;
  return { handlers: manager.handlers() };
}
