/** `aurora-ts maintenance start CLUSTER HOST...`: put hosts into maintenance (startMaintenance). */
import { hostsCall } from './shared.js';

export const run = hostsCall('startMaintenance', 'scheduled');
