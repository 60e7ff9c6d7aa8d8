/** `aurora-ts quota ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { spec, verb, type NounSpec } from '../../spec.js';

export const GET = spec({
  name: 'get',
  summary: "show a role's quota and consumption",
  args: [{ name: 'target', description: 'CLUSTER/ROLE' }],
  examples: ['aurora-ts quota get local/www-data'],
});

export const SET = spec({
  name: 'set',
  summary: "set a role's quota (admin)",
  args: [{ name: 'target', description: 'CLUSTER/ROLE' }],
  options: [
    { flags: '--cpus <n>', description: 'CPUs', parse: 'nonNegativeNumber', required: true },
    { flags: '--ram-mb <n>', description: 'RAM in MiB', parse: 'nonNegativeInteger', required: true },
    { flags: '--disk-mb <n>', description: 'disk in MiB', parse: 'nonNegativeInteger', required: true },
  ],
  examples: ['aurora-ts quota set local/www-data --cpus 8 --ram-mb 16384 --disk-mb 65536'],
});

export const QUOTA: NounSpec = {
  name: 'quota',
  summary: 'role quotas',
  verbs: [
    verb(GET, () => import('./get.js')),
    verb(SET, () => import('./set.js')),
  ],
};
