/**
 * Placement on its own: a pure function of pending tasks and fake agents, checked against Aurora's
 * SchedulingFilterImpl, ConstraintMatcher and AttributeAggregate rules and veto texts.
 */
import { describe, expect, it } from 'vitest';
import { MaintenanceMode, type Constraint } from '../../src/gen/types.js';
import { pendingReason, place, type AgentView, type PendingTask } from '../../src/scheduler/placement.js';
import { taskConfig } from '../support/task-config.js';

function agent(host: string, attributes: Record<string, string>, extra: Partial<AgentView> = {}): AgentView {
  return {
    host,
    attributes: new Map(Object.entries(attributes).map(([k, v]) => [k, [v]])),
    total: { cpus: 4, ramMb: 4096, diskMb: 4096 },
    used: { cpus: 0, ramMb: 0, diskMb: 0 },
    ports: undefined,
    usedPorts: new Set(),
    mode: MaintenanceMode.NONE,
    ...extra,
  };
}

const limit = (name: string, n: number): Constraint => ({ name, constraint: { limit: { limit: n } } });
const value = (name: string, values: string[], negated = false): Constraint => ({ name, constraint: { value: { values, negated } } });

let counter = 0;
function task(constraints: Constraint[] = [], extra: Partial<PendingTask> = {}, role = 'www-data'): PendingTask {
  const config = taskConfig({ job: { role, environment: 'prod', name: 'web' }, constraints });
  return { taskId: `t${counter++}`, job: `${role}/prod/web`, role, config, demand: { cpus: 1, ramMb: 128, diskMb: 128 }, portNames: [], ...extra };
}

const reasons = (plan: ReturnType<typeof place>) => [...plan.vetoes.values()].map(pendingReason);

describe('placement', () => {
  const west = agent('a1', { host: 'a1', zone: 'west' });
  const east = agent('a2', { host: 'a2', zone: 'east' });

  it('spreads a job by a LIMIT constraint: one per zone, the third vetoed "Limit not satisfied: zone"', () => {
    const tasks = [task([limit('zone', 1)]), task([limit('zone', 1)]), task([limit('zone', 1)])];
    const plan = place({ pending: tasks, agents: [west, east], jobHosts: new Map() });
    expect(plan.assignments.map((a) => a.host)).toEqual(['a1', 'a2']);
    expect(reasons(plan)).toEqual(['Limit not satisfied: zone']);
  });

  it('counts tasks already assigned (SLAVE_ASSIGNED_STATES) against the limit', () => {
    const plan = place({ pending: [task([limit('host', 2)])], agents: [west], jobHosts: new Map([['www-data/prod/web', ['a1', 'a1']]]) });
    expect(plan.assignments).toEqual([]);
    expect(reasons(plan)).toEqual(['Limit not satisfied: host']);
  });

  it('vetoes a LIMIT on an attribute the host lacks as a constraint mismatch', () => {
    const plan = place({ pending: [task([limit('rack', 1)])], agents: [west], jobHosts: new Map() });
    expect(reasons(plan)).toEqual(['Constraint not satisfied: rack']);
  });

  it('matches VALUE constraints, negated ones too, and fails them on hosts without the attribute', () => {
    const onEast = place({ pending: [task([value('zone', ['east'])])], agents: [west, east], jobHosts: new Map() });
    expect(onEast.assignments.map((a) => a.host)).toEqual(['a2']);
    const notA1 = place({ pending: [task([value('host', ['a1'], true)])], agents: [west, east], jobHosts: new Map() });
    expect(notA1.assignments.map((a) => a.host)).toEqual(['a2']);
    const nowhere = place({ pending: [task([value('zone', ['north'])])], agents: [west, east], jobHosts: new Map() });
    expect(reasons(nowhere)).toEqual(['Constraint not satisfied: zone']);
    const bare = agent('bare', {});
    const noAttribute = place({ pending: [task([value('host', ['bare'])])], agents: [bare], jobHosts: new Map() });
    expect(reasons(noAttribute)).toEqual(['Constraint not satisfied: host']);
  });

  it('checks VALUE constraints before LIMIT ones and reports only the first failure', () => {
    const plan = place({ pending: [task([limit('rack', 1), value('zone', ['north'])])], agents: [west], jobHosts: new Map() });
    expect(reasons(plan)).toEqual(['Constraint not satisfied: zone']);
  });

  it('keeps dedicated hosts for tasks that ask for them', () => {
    const dedicated = agent('d1', { host: 'd1', dedicated: 'www-data/web' });
    const ordinary = place({ pending: [task()], agents: [dedicated], jobHosts: new Map() });
    expect(reasons(ordinary)).toEqual(['Host is dedicated']);
    const asked = place({ pending: [task([value('dedicated', ['www-data/web'])])], agents: [west, dedicated], jobHosts: new Map() });
    expect(asked.assignments.map((a) => a.host)).toEqual(['d1']);
    const elsewhere = place({ pending: [task([value('dedicated', ['www-data/web'])])], agents: [west], jobHosts: new Map() });
    expect(reasons(elsewhere)).toEqual(['Constraint not satisfied: dedicated']);
  });

  it('takes no new tasks on DRAINING and DRAINED hosts; SCHEDULED ones still take them', () => {
    const draining = place({ pending: [task()], agents: [{ ...west, mode: MaintenanceMode.DRAINING }], jobHosts: new Map() });
    expect(reasons(draining)).toEqual(['Host draining for maintenance']);
    const drained = place({ pending: [task()], agents: [{ ...west, mode: MaintenanceMode.DRAINED }, { ...east, mode: MaintenanceMode.SCHEDULED }], jobHosts: new Map() });
    expect(drained.assignments.map((a) => a.host)).toEqual(['a2']);
  });

  it('fits CPU, RAM and disk per agent, listing every shortfall in Aurora\'s order', () => {
    const big = task([], { demand: { cpus: 8, ramMb: 8192, diskMb: 1 } });
    const plan = place({ pending: [big], agents: [west], jobHosts: new Map() });
    expect(reasons(plan)).toEqual(['Insufficient: CPU,Insufficient: RAM']);
    // Used resources count: the second task no longer fits the first agent and goes to the second.
    const half = () => task([], { demand: { cpus: 3, ramMb: 128, diskMb: 128 } });
    expect(place({ pending: [half(), half()], agents: [west, east], jobHosts: new Map() }).assignments.map((a) => a.host)).toEqual(['a1', 'a2']);
  });

  it('reports the nearest fit: the agent whose vetoes score lowest', () => {
    const drained = { ...west, mode: MaintenanceMode.DRAINED };
    const small = { ...east, total: { cpus: 0.5, ramMb: 4096, diskMb: 4096 } };
    const plan = place({ pending: [task()], agents: [drained, small], jobHosts: new Map() });
    expect(reasons(plan)).toEqual(['Insufficient: CPU']);
  });

  it('assigns named ports from the agent\'s ranges, skipping ports in use, and vetoes when too few are left', () => {
    const ranged = agent('p1', { host: 'p1' }, { ports: [[11000, 11002]], usedPorts: new Set([11000]) });
    const plan = place({ pending: [task([], { portNames: ['http', 'admin'] }), task([], { portNames: ['http'] })], agents: [ranged], jobHosts: new Map() });
    expect(plan.assignments[0]).toMatchObject({ host: 'p1', ports: { http: 11001, admin: 11002 } });
    expect(reasons(plan)).toEqual(['Insufficient: ports']);
  });

  it('leaves ports to the launch on agents without ranges, and gives an empty reason without agents', () => {
    const plan = place({ pending: [task([], { portNames: ['http'] })], agents: [west], jobHosts: new Map() });
    expect(plan.assignments[0]!.ports).toBeUndefined();
    expect(reasons(place({ pending: [task()], agents: [], jobHosts: new Map() }))).toEqual(['']);
  });

  it('does not change its input', () => {
    const input = { pending: [task([limit('zone', 1)])], agents: [west, east], jobHosts: new Map([['www-data/prod/web', ['a1']]]) };
    const before = JSON.stringify({ ...input, jobHosts: [...input.jobHosts], used: input.agents.map((a) => a.used) });
    place(input);
    expect(JSON.stringify({ ...input, jobHosts: [...input.jobHosts], used: input.agents.map((a) => a.used) })).toBe(before);
  });
});
