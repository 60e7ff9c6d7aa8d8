/** `aurora-ts maintenance end CLUSTER HOST...`: end maintenance of hosts (endMaintenance). */
import { hostsCall } from './shared.js';

export const run = hostsCall('endMaintenance', 'changed');
