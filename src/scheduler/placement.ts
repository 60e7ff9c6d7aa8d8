/**
 * Placement, decided apart from doing (as Nomad's scheduler reads a state snapshot and returns a plan):
 * a pure function of the pending tasks and the agents' state that returns which task goes to which
 * agent with which ports, and why each other task stays PENDING. The rules are Aurora's
 * SchedulingFilterImpl, ConstraintMatcher and AttributeAggregate, with its veto texts word for word.
 */
import { MaintenanceMode, type Constraint, type TaskConfig } from '../gen/types.js';

export interface Resources {
  cpus: number;
  ramMb: number;
  diskMb: number;
}

/** Inclusive port ranges, e.g. [[11000, 11999]]. */
export type PortRanges = ReadonlyArray<readonly [number, number]>;

/** One agent as placement sees it: what it is, what it has and what its tasks hold already. */
export interface AgentView {
  host: string;
  /** Mesos text attributes: each name with its values (an agent may give a name several values). */
  attributes: ReadonlyMap<string, readonly string[]>;
  total: Resources;
  used: Resources;
  /** The ports the agent offers; undefined: any free port of this machine, chosen when the task launches. */
  ports: PortRanges | undefined;
  /** Ports its tasks hold (only meaningful with `ports`). */
  usedPorts: ReadonlySet<number>;
  mode: MaintenanceMode;
}

export interface PendingTask {
  taskId: string;
  /** The job key as a string: LIMIT constraints count a job's tasks. */
  job: string;
  role: string;
  config: TaskConfig;
  /** Resources it takes on an agent, its executor's overhead included. */
  demand: Resources;
  /** Its named ports, in the order they get ports. */
  portNames: readonly string[];
}

export interface PlacementInput {
  /** In the order they should be tried (priority, then age). */
  pending: readonly PendingTask[];
  agents: readonly AgentView[];
  /** For each job, the hosts of its tasks in SLAVE_ASSIGNED_STATES, one entry per task. */
  jobHosts: ReadonlyMap<string, readonly string[]>;
}

export type VetoType = 'DEDICATED_CONSTRAINT_MISMATCH' | 'MAINTENANCE' | 'CONSTRAINT_MISMATCH' | 'LIMIT_NOT_SATISFIED' | 'INSUFFICIENT_RESOURCES';

export interface Veto {
  type: VetoType;
  /** Aurora's text, e.g. "Limit not satisfied: zone". */
  reason: string;
  /** Aurora's score: the agent whose vetoes score lowest is the nearest fit. */
  score: number;
}

export interface Assignment {
  taskId: string;
  host: string;
  /** Port per name, from the agent's ranges; undefined when the agent hands out any free port at launch. */
  ports: Record<string, number> | undefined;
}

export interface Plan {
  assignments: Assignment[];
  /** For each task left PENDING, the vetoes of its nearest fit (empty without agents). */
  vetoes: Map<string, Veto[]>;
}

/** ConfigurationManager.DEDICATED_ATTRIBUTE. */
export const DEDICATED_ATTRIBUTE = 'dedicated';

const INSUFFICIENT_SCORE = 1000;
// SchedulingFilter.VetoType scores: a stronger kind of veto always outweighs any number of weaker ones.
const SCORES = { DEDICATED_CONSTRAINT_MISMATCH: 1_000_000, MAINTENANCE: 100_000, CONSTRAINT_MISMATCH: 10_000, LIMIT_NOT_SATISFIED: 10_000 };
// ResourceType scaling ranges (the resources of a typical agent), used only to rank resource vetoes.
const RANGES = { CPU: 16, RAM: 24 * 1024, disk: 450 * 1024, ports: 1000 };

/** The joined reason getPendingReason reports for a task's vetoes (Aurora joins them with ","). */
export function pendingReason(vetoes: readonly Veto[]): string {
  return vetoes.map((v) => v.reason).join(',');
}

/** Decides where each pending task goes; reads its input and never changes it. */
export function place(input: PlacementInput): Plan {
  const agents = input.agents.map((a) => ({
    view: a,
    used: { ...a.used },
    usedPorts: new Set(a.usedPorts),
  }));
  const byHost = new Map(agents.map((a) => [a.view.host, a]));
  const jobHosts = new Map<string, string[]>([...input.jobHosts].map(([job, hosts]) => [job, [...hosts]]));
  const plan: Plan = { assignments: [], vetoes: new Map() };
  for (const task of input.pending) {
    const aggregate = attributeAggregate(jobHosts.get(task.job) ?? [], byHost);
    let nearest: Veto[] | undefined;
    let placed = false;
    for (const agent of agents) {
      const vetoes = filter(agent.view, agent.used, agent.usedPorts, task, aggregate);
      if (vetoes.length === 0) {
        const ports = agent.view.ports ? takePorts(agent.view.ports, agent.usedPorts, task.portNames) : undefined;
        agent.used.cpus += task.demand.cpus;
        agent.used.ramMb += task.demand.ramMb;
        agent.used.diskMb += task.demand.diskMb;
        plan.assignments.push({ taskId: task.taskId, host: agent.view.host, ports });
        jobHosts.set(task.job, [...(jobHosts.get(task.job) ?? []), agent.view.host]);
        placed = true;
        break;
      }
      // NearestFit: only a strictly lower total score replaces the fit found so far.
      if (nearest === undefined || score(vetoes) < score(nearest)) nearest = vetoes;
    }
    if (!placed) plan.vetoes.set(task.taskId, nearest ?? []);
  }
  return plan;
}

function score(vetoes: readonly Veto[]): number {
  return vetoes.reduce((sum, v) => sum + v.score, 0);
}

/** AttributeAggregate: how many of the job's assigned tasks sit on hosts with each attribute name and value. */
function attributeAggregate(hosts: readonly string[], agents: ReadonlyMap<string, { view: AgentView }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const host of hosts) {
    // A task on a host no agent has any more counts for nothing (Aurora has no attributes for it either).
    const attributes = agents.get(host)?.view.attributes;
    if (!attributes) continue;
    for (const [name, values] of attributes) {
      for (const value of values) counts.set(pair(name, value), (counts.get(pair(name, value)) ?? 0) + 1);
    }
  }
  return counts;
}

function pair(name: string, value: string): string {
  return `${name}\0${value}`;
}

/**
 * SchedulingFilterImpl.filter: from the strongest kind of veto to the weakest, stopping at the first
 * kind that applies -- dedicated host, maintenance, constraints (values first, first failure only),
 * then every resource that falls short.
 */
function filter(agent: AgentView, used: Resources, usedPorts: ReadonlySet<number>, task: PendingTask, aggregate: ReadonlyMap<string, number>): Veto[] {
  const constraints = [...(task.config.constraints ?? [])];
  if (!constraints.some((c) => c.name === DEDICATED_ATTRIBUTE) && agent.attributes.has(DEDICATED_ATTRIBUTE)) {
    return [{ type: 'DEDICATED_CONSTRAINT_MISMATCH', reason: 'Host is dedicated', score: SCORES.DEDICATED_CONSTRAINT_MISMATCH }];
  }
  if (agent.mode === MaintenanceMode.DRAINING || agent.mode === MaintenanceMode.DRAINED) {
    return [{ type: 'MAINTENANCE', reason: `Host ${MaintenanceMode[agent.mode].toLowerCase()} for maintenance`, score: SCORES.MAINTENANCE }];
  }
  const valuesFirst = [...constraints.filter((c) => c.constraint?.value), ...constraints.filter((c) => !c.constraint?.value)];
  for (const constraint of valuesFirst) {
    const veto = constraintVeto(constraint, agent.attributes, aggregate);
    if (veto) return [veto];
  }
  const vetoes: Veto[] = [];
  const short = (name: keyof typeof RANGES, available: number, requested: number) => {
    const excess = requested - available;
    // A hair of floating-point error in summed CPU shares is not a shortage.
    if (excess > 1e-9) {
      vetoes.push({ type: 'INSUFFICIENT_RESOURCES', reason: `Insufficient: ${name}`, score: Math.min(INSUFFICIENT_SCORE, Math.floor((INSUFFICIENT_SCORE * excess) / RANGES[name])) });
    }
  };
  short('CPU', agent.total.cpus - used.cpus, task.demand.cpus);
  short('RAM', agent.total.ramMb - used.ramMb, task.demand.ramMb);
  short('disk', agent.total.diskMb - used.diskMb, task.demand.diskMb);
  if (agent.ports && task.portNames.length > 0) short('ports', freePortCount(agent.ports, usedPorts), task.portNames.length);
  return vetoes;
}

/** ConstraintMatcher.getVeto for one constraint. */
function constraintVeto(constraint: Constraint, attributes: ReadonlyMap<string, readonly string[]>, aggregate: ReadonlyMap<string, number>): Veto | undefined {
  const name = constraint.name ?? '';
  const values = attributes.get(name);
  const mismatch: Veto = { type: 'CONSTRAINT_MISMATCH', reason: `Constraint not satisfied: ${name}`, score: SCORES.CONSTRAINT_MISMATCH };
  const value = constraint.constraint?.value;
  if (value) {
    const wanted = [...(value.values ?? [])];
    // AttributeFilter.matches: negated XOR any wanted value present (a host without the attribute has none).
    const match = wanted.some((w) => values?.includes(w) ?? false);
    return (value.negated === true) !== match ? undefined : mismatch;
  }
  const limit = constraint.constraint?.limit;
  if (limit) {
    if (!values) return mismatch;
    const max = limit.limit ?? 0;
    const reached = values.some((v) => max <= (aggregate.get(pair(name, v)) ?? 0));
    return reached ? { type: 'LIMIT_NOT_SATISFIED', reason: `Limit not satisfied: ${name}`, score: SCORES.LIMIT_NOT_SATISFIED } : undefined;
  }
  return undefined;
}

function freePortCount(ranges: PortRanges, used: ReadonlySet<number>): number {
  let free = 0;
  for (const [low, high] of ranges) {
    free += high - low + 1;
    for (const port of used) if (port >= low && port <= high) free--;
  }
  return free;
}

/** The lowest free ports of the agent's ranges, one per name (marked used). */
function takePorts(ranges: PortRanges, used: Set<number>, names: readonly string[]): Record<string, number> {
  const ports: Record<string, number> = {};
  let index = 0;
  for (const [low, high] of ranges) {
    for (let port = low; port <= high && index < names.length; port++) {
      if (used.has(port)) continue;
      used.add(port);
      ports[names[index++]!] = port;
    }
  }
  return ports;
}
