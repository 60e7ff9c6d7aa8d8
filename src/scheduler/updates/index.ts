/**
 * Rolling job updates for the local scheduler, as Aurora runs them: the update RPCs, the engine that
 * replaces tasks instance by instance, and the gate that makes other job mutations answer
 * JOB_UPDATING_ERROR while an update is in progress.
 *
 * The engine is driven by task transitions (lifecycle.subscribe) and by per-instance timers for
 * the watch time in the request (minWaitInInstanceRunningMs), so it needs no polling interval; a
 * fast test simply asks for a short watch time.
 */
import type { JobUpdateDetails } from '../../gen/types.js';
import { decodeStruct, encodeStruct } from '../../protocol/index.js';
import type { SchedulerCore } from '../core.js';
import type { SchedulerFeature } from '../features.js';
import { UpdateController } from './controller.js';
import { updateHandlers, type UpdateRpcOptions } from './rpc.js';
import { JobUpdateStore } from './store.js';

export interface UpdateOptions extends UpdateRpcOptions {
  /** Clock for update and instance events and watch times (default Date.now). */
  now?: () => number;
  /**
   * SLA-aware updates (settings.slaAware): a failed SLA check before a kill is retried after this many ms
   * (Aurora's -sla_aware_kill_retry_min_delay; default 60 000), the delay doubling each time up to
   * `slaKillRetryMaxMs` (-sla_aware_kill_retry_max_delay; default 300 000). The SLA thresholds themselves
   * are the scheduler's (`maintenance.slaMinRequiredInstances`, `maintenance.slaAwareKillNonProd`).
   */
  slaKillRetryMinMs?: number;
  slaKillRetryMaxMs?: number;
}

/** Registers `core.updates` and answers the update RPCs; `onLog` hears failures no RPC can report. */
export function updatesFeature(core: SchedulerCore, settings: UpdateOptions = {}, onLog?: (message: string) => void): SchedulerFeature {
  const store = new JobUpdateStore();
  if (core.state) {
    const section = core.state.section('update', (key) => {
      const details = store.byKeyString(key);
      return details ? encodeStruct('binary', 'JobUpdateDetails', details) : undefined;
    });
    store.restore(section.load().map(([, bytes]) => decodeStruct<JobUpdateDetails>('binary', 'JobUpdateDetails', bytes)));
    store.onChange = (key) => section.changed(key);
  }
  const controller = new UpdateController({
    lifecycle: core.lifecycle,
    store,
    now: settings.now,
    persist: () => core.persist(),
    onError: onLog,
    sla: () => core.sla,
    slaKillRetryMinMs: settings.slaKillRetryMinMs,
    slaKillRetryMaxMs: settings.slaKillRetryMaxMs,
  });
  core.updates = { isUpdating: (key) => controller.isUpdating(key), activeInstructions: (role) => store.activeInstructions(role) };
  // Stored updates resume once the restarted scheduler knows which of its tasks survived.
  core.afterRecovery(() => controller.resumeStored());
  return {
    handlers: updateHandlers(core, controller, store, settings),
    close: () => controller.close(),
  };
}

export { UpdateController, UPDATE_IN_PROGRESS_MESSAGE, PULSE_TIMEOUT_MESSAGE, SLA_CHECKING_MESSAGE, SLA_PASSED_MESSAGE, type Audit, type StartOutcome } from './controller.js';
export { JobUpdateStore, describeUpdateKey, updateKeyString } from './store.js';
export { MESSAGES as UPDATE_MESSAGES, withStrategy, settingsProblem } from './request.js';
export { computeDiff, type JobDiff } from './diff.js';
