import type { TaskConfig } from '../../src/gen/types.js';

/**
 * A TaskConfig as the scheduler stores it: `fields` over the values Aurora fills in for the ones a
 * request leaves out (src/scheduler/sanitize.ts; the container is the IDL default), which are also
 * what the Job builder sends. A fresh object each call.
 */
export function taskConfig(fields: Partial<TaskConfig> & Pick<TaskConfig, 'job'>): TaskConfig {
  return { isService: false, priority: 0, maxTaskFailures: 1, resources: [], constraints: [], container: { mesos: {} }, ...fields };
}
