/**
 * GET /agents: the local cluster's agents as JSON -- host, attributes, resources total, used and free,
 * port ranges, maintenance mode and whether the agent is reachable. Aurora's API has no such call (its agents are Mesos'), so this is a
 * local-only endpoint beside /sandbox, read by `aurora-ts scheduler agents`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MaintenanceMode } from '../../gen/types.js';
import type { TaskLifecycle } from '../lifecycle.js';
import type { AgentPool } from './pool.js';

/** One agent in the reply of GET /agents. */
export interface AgentReport {
  host: string;
  slaveId: string;
  attributes: Record<string, string>;
  mode: string;
  /** False while the agent answers none of the scheduler's pings (agent processes), else true. */
  reachable: boolean;
  /** Port ranges as configured, or null when the agent hands out any free port. */
  ports: string | null;
  /** Its tasks that hold resources (Aurora's SLAVE_ASSIGNED_STATES). */
  tasks: number;
  resources: Record<'total' | 'used' | 'free', { cpus: number; ramMb: number; diskMb: number | null }>;
}

export function agentReports(pool: AgentPool, lifecycle: TaskLifecycle): AgentReport[] {
  const state = lifecycle.agentsState(true);
  const views = new Map(state.agents.map((v) => [v.host, v]));
  const tasks = new Map<string, number>();
  for (const host of [...state.jobHosts.values()].flat()) tasks.set(host, (tasks.get(host) ?? 0) + 1);
  // Unlimited disk is shown as null (JSON has no infinity).
  const disk = (mb: number) => (mb >= Number.MAX_SAFE_INTEGER / 2 ? null : mb);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return pool.all().map((agent) => {
    const used = views.get(agent.host)!.used;
    return {
      host: agent.host,
      slaveId: agent.slaveId,
      attributes: Object.fromEntries([...agent.attributes].map(([k, v]) => [k, v.join(',')])),
      mode: MaintenanceMode[pool.mode(agent.host)],
      reachable: pool.reachable(agent.host),
      ports: agent.portsText ?? null,
      tasks: tasks.get(agent.host) ?? 0,
      resources: {
        total: { cpus: agent.total.cpus, ramMb: agent.total.ramMb, diskMb: disk(agent.total.diskMb) },
        used: { cpus: round(used.cpus), ramMb: used.ramMb, diskMb: used.diskMb },
        free: { cpus: round(agent.total.cpus - used.cpus), ramMb: agent.total.ramMb - used.ramMb, diskMb: disk(agent.total.diskMb - used.diskMb) },
      },
    };
  });
}

export function agentRoutes(pool: AgentPool, lifecycle: TaskLifecycle) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    if (path !== '/agents' || request.method !== 'GET') return false;
    const body = JSON.stringify({ agents: agentReports(pool, lifecycle) });
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
    return true;
  };
}
