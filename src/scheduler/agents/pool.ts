/**
 * The local cluster's agents: each a simulated Mesos agent with a host name, text attributes and
 * resources, and the maintenance mode the scheduler keeps for its host. Every agent's tasks run as
 * processes of this machine.
 */
import { MaintenanceMode } from '../../gen/types.js';
import type { PortRanges, Resources } from '../placement.js';

/** Host names as Mesos agents report them: RFC 1123 labels joined by dots. */
export { HOST_NAME_PATTERN } from '../../util/host-name.js';

/** One agent, as `startScheduler({ agents })` and `scheduler start --agents FILE` take it. */
export interface AgentSpec {
  /** Its host name: tasks' slaveHost, what maintenance calls name. Unique among the agents. */
  host: string;
  /** Mesos text attributes, e.g. `{ zone: 'east', rack: 'r1' }`. A `host` constraint needs a `host` attribute. */
  attributes?: Record<string, string>;
  resources: Partial<Resources> & {
    /** Port ranges, e.g. "11000-11999" or "11000-11099,12000-12099"; absent: any free port of this machine. */
    ports?: string;
  };
}

/** What the scheduler knows of an agent (see AgentSpec), with its ranges parsed. */
export interface Agent {
  host: string;
  slaveId: string;
  attributes: ReadonlyMap<string, readonly string[]>;
  total: Resources;
  ports: PortRanges | undefined;
  portsText: string | undefined;
}

/** "11000-11999,12000" → [[11000, 11999], [12000, 12000]]; undefined when malformed. */
export function parsePortRanges(text: string): PortRanges | undefined {
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(part);
    if (!match) return undefined;
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    if (low < 1 || high > 65535 || low > high) return undefined;
    ranges.push([low, high]);
  }
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]![0] <= sorted[i - 1]![1]) return undefined;
  return sorted;
}

export class AgentPool {
  private readonly agents: Agent[];
  private readonly byHost: Map<string, Agent>;
  private readonly modes = new Map<string, MaintenanceMode>();
  private readonly unreachable = new Set<string>();
  private readonly listeners = new Set<() => void>();

  /** `specs` must have been validated (agentsSchema); `defaults` size resources a spec leaves out. */
  constructor(specs: readonly AgentSpec[], defaults: Resources) {
    this.agents = specs.map((spec) => ({
      host: spec.host,
      slaveId: `${spec.host}-aurora-ts-local`,
      attributes: new Map(Object.entries(spec.attributes ?? {}).map(([k, v]) => [k, [v]])),
      total: {
        cpus: spec.resources.cpus ?? defaults.cpus,
        ramMb: spec.resources.ramMb ?? defaults.ramMb,
        diskMb: spec.resources.diskMb ?? defaults.diskMb,
      },
      ports: spec.resources.ports === undefined ? undefined : parsePortRanges(spec.resources.ports),
      portsText: spec.resources.ports,
    }));
    this.byHost = new Map(this.agents.map((a) => [a.host, a]));
  }

  all(): readonly Agent[] {
    return this.agents;
  }

  get(host: string): Agent | undefined {
    return this.byHost.get(host);
  }

  has(host: string): boolean {
    return this.byHost.has(host);
  }

  mode(host: string): MaintenanceMode {
    return this.modes.get(host) ?? MaintenanceMode.NONE;
  }

  /** Sets a known host's maintenance mode; placement reads it on its next pass. Returns false for an unknown host. */
  setMode(host: string, mode: MaintenanceMode): boolean {
    if (!this.byHost.has(host)) return false;
    const before = this.mode(host);
    this.modes.set(host, mode);
    if (before !== mode) for (const listener of this.listeners) listener();
    return true;
  }

  /** Whether the agent answers (agent processes: see remote-driver.ts); an unreachable agent offers nothing. */
  reachable(host: string): boolean {
    return !this.unreachable.has(host);
  }

  setReachable(host: string, reachable: boolean): void {
    if (reachable === this.reachable(host)) return;
    if (reachable) this.unreachable.delete(host);
    else this.unreachable.add(host);
    for (const listener of this.listeners) listener();
  }

  /** Calls `listener` whenever a host's mode or reachability changes (the lifecycle places again). */
  onModeChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
