/** `aurora-ts maintenance drain CLUSTER HOST...`: drain hosts (drainHosts). */
import { hostsCall } from './shared.js';

export const run = hostsCall('drainHosts', 'draining');
