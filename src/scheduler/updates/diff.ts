/**
 * What an update changes (Aurora's JobDiff): per instance id, the config it runs now against the one
 * the update asks for, optionally limited to some instances; and the grouping of instances by config
 * that update instructions and getJobUpdateDiff report.
 */
import type { ConfigGroup, InstanceTaskConfig, JobKey, TaskConfig } from '../../gen/types.js';
import { toRanges } from '../../update/ranges.js';
import { canonicalJson, type TaskStore } from '../tasks.js';

export interface JobDiff {
  /** Instances whose current config goes away (removed or replaced), with that config. */
  replaced: Map<number, TaskConfig>;
  /** Instances that will run the new config (added or replaced). */
  replacements: Set<number>;
  unchanged: Map<number, TaskConfig>;
}

/** The config each active instance of a job runs now. */
export function currentState(store: TaskStore, job: JobKey): Map<number, TaskConfig> {
  const state = new Map<number, TaskConfig>();
  for (const task of store.active(job)) state.set(task.assignedTask!.instanceId!, task.assignedTask!.task!);
  return state;
}


export function computeDiff(current: Map<number, TaskConfig>, proposed: TaskConfig, instanceCount: number, scope: ReadonlySet<number>): JobDiff {
  const proposedJson = canonicalJson('TaskConfig', proposed);
  const replaced = new Map<number, TaskConfig>();
  const replacements = new Set<number>();
  const unchanged = new Map<number, TaskConfig>();
  for (const [id, config] of current) {
    if (id < instanceCount && canonicalJson('TaskConfig', config) === proposedJson) unchanged.set(id, config);
    else replaced.set(id, config);
  }
  for (let id = 0; id < instanceCount; id++) if (!unchanged.has(id)) replacements.add(id);
  if (scope.size === 0) return { replaced, replacements, unchanged };

  const scopedReplaced = new Map([...replaced].filter(([id]) => scope.has(id)));
  const scopedReplacements = new Set([...replacements].filter((id) => scope.has(id)));
  const scopedUnchanged = new Map([...current].filter(([id]) => !scopedReplaced.has(id) && !scopedReplacements.has(id)));
  return { replaced: scopedReplaced, replacements: scopedReplacements, unchanged: scopedUnchanged };
}

/** Instances named in `scope` that the diff does not know at all (neither current nor proposed). */
export function outOfScope(diff: JobDiff, scope: ReadonlySet<number>): number[] {
  return [...scope].filter((id) => !diff.replaced.has(id) && !diff.replacements.has(id) && !diff.unchanged.has(id)).sort((a, b) => a - b);
}

export function isNoop(diff: JobDiff): boolean {
  return diff.replaced.size === 0 && diff.replacements.size === 0;
}

/** Instances grouped by identical config, each group's ids as ranges. */
export function groupByConfig(instances: Map<number, TaskConfig>): InstanceTaskConfig[] {
  const groups = new Map<string, { task: TaskConfig; ids: number[] }>();
  for (const [id, task] of [...instances].sort(([a], [b]) => a - b)) {
    const json = canonicalJson('TaskConfig', task);
    const group = groups.get(json) ?? groups.set(json, { task, ids: [] }).get(json)!;
    group.ids.push(id);
  }
  return [...groups.values()].map((g) => ({ task: g.task, instances: toRanges(g.ids) }));
}

export function configGroups(instances: Map<number, TaskConfig>): ConfigGroup[] {
  return groupByConfig(instances).map((g) => ({ config: g.task, instances: g.instances }));
}

/** The config an instance had before the update, from the update's initial state. */
export function initialConfig(initialState: readonly InstanceTaskConfig[] | undefined, instanceId: number): TaskConfig | undefined {
  for (const group of initialState ?? []) {
    for (const r of group.instances ?? []) if (instanceId >= r.first! && instanceId <= r.last!) return group.task;
  }
  return undefined;
}
