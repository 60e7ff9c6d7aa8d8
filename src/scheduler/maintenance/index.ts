/**
 * Host maintenance as Aurora's MaintenanceControllerImpl and SlaManager run it, on the hosts of the
 * scheduler's agents: NONE → SCHEDULED → DRAINING → DRAINED, endMaintenance → NONE. Draining a host
 * moves its tasks DRAINING (killed, then rescheduled elsewhere: placement vetoes DRAINING and DRAINED
 * hosts). slaDrainHosts drains a task once its SlaPolicy (else the request's default) allows it --
 * enough other instances RUNNING, or a coordinator's yes (../sla.ts) -- and anyway after timeoutSecs.
 * Hosts no agent has are left out of every reply, as Aurora leaves out hosts it has no attributes for.
 */
import {
  ACTIVE_STATES,
  MaintenanceMode,
  ScheduleStatus,
  TERMINAL_STATES,
  type HostStatus,
  type Hosts,
  type ScheduledTask,
  type SlaPolicy,
} from '../../gen/types.js';
import type { RpcHandlers } from '../api-server.js';
import type { SchedulerCore } from '../core.js';
import type { SchedulerFeature } from '../features.js';
import type { SlaManager } from '../sla.js';
import type { StateSection } from '../store/state.js';

export interface MaintenanceOptions {
  /** How often DRAINING hosts are looked at again (Aurora's -host_maintenance_polling_interval; default 5000 ms). */
  pollMs?: number;
  /** The SLA settings below are the scheduler's (startScheduler builds core.sla from them); drains and updates share them. */
  /** Jobs with fewer active tasks skip the SLA check (Aurora's -min_required_instances_for_sla_check; default 20). */
  slaMinRequiredInstances?: number;
  /** Apply SLA checks to non-production tasks too (Aurora's -sla_aware_kill_non_prod; default false). */
  slaAwareKillNonProd?: boolean;
  /** How long an SLA coordinator may take to answer before the check fails this round (default 10 000 ms). */
  slaCoordinatorTimeoutMs?: number;
  now?: () => number;
  /** Hears failures no RPC can report. */
  onLog?: (message: string) => void;
}

/** MaintenanceControllerImpl.DRAINING_MESSAGE. */
export const DRAINING_MESSAGE = 'Draining machine for maintenance.';
/** MaintenanceControllerImpl.COUNTDOWN_MS_PARAM: the ms left before the drain is forced, sent to coordinators. */
export const COUNTDOWN_MS_PARAM = 'forceMaintenanceCountdownMs';

/** Only tasks that still run can be drained; the rest are on their way out already. */
function drainable(status: ScheduleStatus): boolean {
  return status === ScheduleStatus.ASSIGNED || status === ScheduleStatus.STARTING || status === ScheduleStatus.RUNNING;
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

interface MaintenanceRequest {
  defaultSlaPolicy: SlaPolicy | undefined;
  timeoutSecs: number;
  createdMs: number;
}

const ZERO_PERCENT_SLA: SlaPolicy = { percentageSlaPolicy: { percentage: 0, durationSecs: 0 } };

export class MaintenanceController {
  private readonly requests = new Map<string, MaintenanceRequest>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly sla: SlaManager;
  private readonly onError: ((message: string) => void) | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly core: SchedulerCore,
    options: MaintenanceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.onError = options.onLog;
    // Made with the scheduler-wide SLA settings (the sla* options here, Aurora's SlaModule flags); updates share it.
    this.sla = core.sla;
    this.timer = setInterval(() => this.poll(), options.pollMs ?? 5000);
    this.timer.unref();
    this.unsubscribe = core.lifecycle.subscribe((task, previous) => {
      // The last task leaving a DRAINING host makes it DRAINED (checked after the transition completes).
      if (previous !== undefined && TERMINAL_STATES.has(task.status!) && task.assignedTask?.slaveHost) {
        const host = task.assignedTask.slaveHost;
        queueMicrotask(() => this.drainedIfEmpty(host));
      }
    });
    if (core.state) {
      this.stored = core.state.section('maintenance', (host) =>
        this.core.agents.has(host) ? JSON.stringify({ mode: this.mode(host), request: this.requests.get(host) }) : undefined,
      );
      for (const [host, json] of this.stored.load()) {
        const saved = JSON.parse(json.toString('utf8')) as { mode: MaintenanceMode; request?: MaintenanceRequest };
        // A host whose agent is gone from the configuration is forgotten (its row is deleted on the next flush).
        if (!this.core.agents.has(host)) {
          this.stored.changed(host);
          continue;
        }
        if (saved.request) this.requests.set(host, saved.request);
        // Through setMode, so that a drained host keeps refusing tasks after a restart.
        this.setMode([host], saved.mode);
      }
    }
  }

  /** The state directory's maintenance section (mode and drain request per host), when there is one. */
  private readonly stored: StateSection | undefined;

  mode(host: string): MaintenanceMode {
    return this.core.agents.mode(host);
  }

  /** The hosts named that agents have, once each (MaintenanceControllerImpl skips hosts without attributes). */
  private known(hosts: Iterable<string>): string[] {
    return [...new Set(hosts)].filter((host) => this.core.agents.has(host));
  }

  status(hosts: Iterable<string>): HostStatus[] {
    return this.known(hosts).map((host) => ({ host, mode: this.mode(host) }));
  }

  startMaintenance(hosts: Iterable<string>): HostStatus[] {
    return this.setMode(this.known(hosts), MaintenanceMode.SCHEDULED);
  }

  /** drainHosts: every active task on the hosts goes DRAINING now; empty hosts are DRAINED at once. */
  drain(hosts: Iterable<string>): HostStatus[] {
    const unique = this.known(hosts);
    this.record(unique, ZERO_PERCENT_SLA, 0);
    const statuses: HostStatus[] = [];
    for (const host of unique) {
      const empty = this.activeOn(host).length === 0;
      statuses.push(...this.setMode([host], empty ? MaintenanceMode.DRAINED : MaintenanceMode.DRAINING));
      if (!empty) this.drainTasksOn(host);
    }
    return statuses;
  }

  /** slaDrainHosts: hosts go DRAINING; the poll drains each task once its SLA allows or the timeout passes. */
  slaDrain(hosts: Iterable<string>, defaultSlaPolicy: SlaPolicy | undefined, timeoutSecs: number): HostStatus[] {
    const unique = this.known(hosts);
    this.record(unique, defaultSlaPolicy, timeoutSecs);
    const statuses = this.setMode(unique, MaintenanceMode.DRAINING);
    setImmediate(() => this.poll());
    return statuses;
  }

  endMaintenance(hosts: Iterable<string>): HostStatus[] {
    const unique = this.known(hosts);
    for (const host of unique) {
      this.requests.delete(host);
      this.stored?.changed(host);
    }
    return this.setMode(unique, MaintenanceMode.NONE);
  }

  /** MaintenanceControllerImpl.runOneIteration: drain what the SLA now allows; empty DRAINING hosts become DRAINED. */
  poll(): void {
    for (const { host } of this.core.agents.all()) {
      if (this.mode(host) !== MaintenanceMode.DRAINING) continue;
      if (this.activeOn(host).length === 0) this.setMode([host], MaintenanceMode.DRAINED);
      else this.drainTasksOn(host);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }

  private record(hosts: string[], defaultSlaPolicy: SlaPolicy | undefined, timeoutSecs: number): void {
    for (const host of hosts) {
      this.requests.set(host, { defaultSlaPolicy, timeoutSecs, createdMs: this.now() });
      this.stored?.changed(host);
    }
  }

  private setMode(hosts: Iterable<string>, mode: MaintenanceMode): HostStatus[] {
    const statuses: HostStatus[] = [];
    for (const host of hosts) {
      // Placement reads the mode (DRAINING and DRAINED hosts take no new tasks) and places again on a change.
      this.core.agents.setMode(host, mode);
      this.stored?.changed(host);
      statuses.push({ host, mode });
    }
    this.core.persist();
    return statuses;
  }

  private activeOn(host: string): ScheduledTask[] {
    return this.core.lifecycle.store.query({ slaveHosts: [host], statuses: [...ACTIVE_STATES] });
  }

  private drainedIfEmpty(host: string): void {
    if (this.mode(host) !== MaintenanceMode.DRAINING || this.activeOn(host).length > 0) return;
    this.setMode([host], MaintenanceMode.DRAINED);
    this.requests.delete(host);
    this.stored?.changed(host);
  }

  private drainTasksOn(host: string): void {
    const request = this.requests.get(host);
    // Aurora assumes the SLA is not met when the request is missing.
    if (!request) return;
    const remainingMs = request.createdMs + request.timeoutSecs * 1000 - this.now();
    const force = remainingMs < 0;
    // Shuffled, as Aurora does: tasks sharing a busy coordinator are not always asked in the same order.
    for (const task of shuffled(this.activeOn(host))) {
      if (!drainable(task.status!)) continue;
      const taskId = task.assignedTask!.taskId!;
      const policy = task.assignedTask!.task!.slaPolicy ?? request.defaultSlaPolicy;
      const drain = () => {
        // A coordinator answers later: drain only if the task (and the host's drain) are still there.
        const current = this.core.lifecycle.store.get(taskId);
        if (current && drainable(current.status!) && this.mode(host) === MaintenanceMode.DRAINING) {
          this.core.lifecycle.drain([taskId], DRAINING_MESSAGE);
        }
      };
      this.sla
        .checkSlaThenAct(task, policy, drain, { force, params: { [COUNTDOWN_MS_PARAM]: String(remainingMs) } })
        .catch((error: unknown) => this.onError?.(`SLA drain of ${taskId} failed: ${(error as Error).message}`));
    }
  }

  handlers(): RpcHandlers {
    const r = this.core.responses;
    const names = (hosts: unknown): string[] | undefined => {
      const list = (hosts as Hosts | undefined)?.hostNames;
      return list === undefined || list === null ? undefined : [...list];
    };
    const noHosts = () => r.invalid('hosts.hostNames must list at least one host name.');
    return {
      startMaintenance: ({ hosts }) => {
        const list = names(hosts);
        return list ? r.ok({ startMaintenanceResult: { statuses: this.startMaintenance(list) } }) : noHosts();
      },
      drainHosts: ({ hosts }) => {
        const list = names(hosts);
        return list ? r.ok({ drainHostsResult: { statuses: this.drain(list) } }) : noHosts();
      },
      slaDrainHosts: ({ hosts, defaultSlaPolicy, timeoutSecs }) => {
        const list = names(hosts);
        if (!list) return noHosts();
        const timeout = Number(timeoutSecs ?? 0);
        if (!Number.isFinite(timeout) || timeout < 0) return r.invalid('timeoutSecs must be zero or more seconds.');
        return r.ok({ drainHostsResult: { statuses: this.slaDrain(list, (defaultSlaPolicy ?? undefined) as SlaPolicy | undefined, timeout) } });
      },
      maintenanceStatus: ({ hosts }) => {
        const list = names(hosts);
        return list ? r.ok({ maintenanceStatusResult: { statuses: this.status(list) } }) : noHosts();
      },
      endMaintenance: ({ hosts }) => {
        const list = names(hosts);
        return list ? r.ok({ endMaintenanceResult: { statuses: this.endMaintenance(list) } }) : noHosts();
      },
    };
  }
}

export function maintenanceFeature(core: SchedulerCore, options: MaintenanceOptions = {}): SchedulerFeature {
  const controller = new MaintenanceController(core, options);
  return { handlers: controller.handlers(), close: () => controller.close() };
}
