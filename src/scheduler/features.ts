/**
 * The scheduler's optional parts (updates, cron, quota, maintenance, admin) plug in here: each is a
 * factory that receives the shared core and the scheduler's options, registers what the core asks
 * of it (e.g. `core.updates`), and returns its RPC handlers.
 */
import type { RpcHandlers } from './api-server.js';
import type { SchedulerCore } from './core.js';
import type { SchedulerOptions } from './index.js';
import { adminFeature } from './admin/index.js';
import { cronFeature } from './cron/index.js';
import { maintenanceFeature } from './maintenance/index.js';
import { quotaFeature } from './quota/index.js';
import { updatesFeature } from './updates/index.js';

export interface SchedulerFeature {
  readonly handlers?: RpcHandlers;
  /** Stops timers; called when the scheduler closes, before tasks are killed. */
  close?(): void | Promise<void>;
}

export type FeatureFactory = (core: SchedulerCore, options: SchedulerOptions) => SchedulerFeature;

/** Every feature of the local scheduler, in registration order. */
export const FEATURES: FeatureFactory[] = [
  (core, options) => cronFeature(core, options.cron),
  (core) => quotaFeature(core),
  (core, options) => maintenanceFeature(core, { onLog: options.onLog, ...options.maintenance }),
  (core) => adminFeature(core),
  (core, options) => updatesFeature(core, options.updates, options.onLog),
];
