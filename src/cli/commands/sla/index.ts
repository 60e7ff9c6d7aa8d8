/** `aurora-ts sla ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { KEY, spec, verb, type NounSpec } from '../../spec.js';

export const UPTIME = spec({
  name: 'uptime',
  aliases: ['get-job-uptime'],
  summary: 'how long the instances of a job have been running, by percentile',
  args: [KEY],
  options: [{ flags: '--percentiles <list>', description: 'comma-separated percentiles', default: '50,75,90,95,99' }],
  examples: ['aurora-ts sla uptime local/www-data/devel/hello'],
});

export const UP_COUNT = spec({
  name: 'up-count',
  aliases: ['get-task-up-count'],
  summary: 'how many instances have been up for at least --duration seconds, or each of --durations',
  args: [KEY],
  options: [
    { flags: '--duration <seconds>', description: 'minimum uptime (default 0)', parse: 'nonNegativeInteger' },
    { flags: '--durations <list>', description: "several minimum uptimes, Aurora's XdYhZmWs or seconds, e.g. 1m,10m,1h,12h,7d" },
  ],
  examples: ['aurora-ts sla up-count local/www-data/devel/hello --duration 300', 'aurora-ts sla up-count local/www-data/devel/hello --durations 1m,1h,1d'],
});

export const SLA: NounSpec = {
  name: 'sla',
  summary: 'job uptime numbers',
  verbs: [
    verb(UPTIME, () => import('./uptime.js')),
    verb(UP_COUNT, () => import('./up-count.js')),
  ],
};
