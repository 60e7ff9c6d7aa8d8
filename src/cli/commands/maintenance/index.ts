/** `aurora-ts maintenance ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { CLUSTER_ARG, arg, spec, verb, type NounSpec } from '../../spec.js';

const HOSTS = arg({ name: 'hosts', description: 'host names', variadic: true });

/** A verb on the maintenance mode of hosts: CLUSTER HOST... */
function hostsVerb<const N extends string, const Optional extends boolean>(name: N, summary: string, optional: Optional) {
  return spec({ name, summary, args: [CLUSTER_ARG, { ...HOSTS, optional }], examples: [`aurora-ts maintenance ${name} local host1.example.com`] });
}
export const START = hostsVerb('start', 'put hosts into maintenance (SCHEDULED)', false);
export const DRAIN = hostsVerb('drain', 'drain hosts: move their tasks away', false);
export const STATUS = hostsVerb('status', 'show the maintenance mode of hosts (without HOSTS: every host tasks ran on)', true);
export const END = hostsVerb('end', 'end maintenance of hosts', false);

export const SLA_DRAIN = spec({
  name: 'sla-drain',
  summary: 'drain hosts while keeping tasks within their SLA',
  args: [CLUSTER_ARG, HOSTS],
  options: [
    { flags: '--percentage <n>', description: 'default SLA: this percentage of instances up', parse: 'positiveNumber' },
    { flags: '--count <n>', description: 'default SLA: this many instances up', parse: 'positiveInteger' },
    { flags: '--duration <seconds>', description: 'for at least this long', parse: 'nonNegativeInteger' },
    { flags: '--force-drain-timeout <seconds>', description: 'force the drain after this long (default 3600)', parse: 'positiveInteger' },
  ],
  examples: ['aurora-ts maintenance sla-drain local host1 --percentage 95 --duration 300'],
});

export const MAINTENANCE: NounSpec = {
  name: 'maintenance',
  summary: 'host maintenance (admin)',
  verbs: [
    verb(START, () => import('./start.js')),
    verb(DRAIN, () => import('./drain.js')),
    verb(STATUS, () => import('./status.js')),
    verb(END, () => import('./end.js')),
    verb(SLA_DRAIN, () => import('./sla-drain.js')),
  ],
};
