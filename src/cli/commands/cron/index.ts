/** `aurora-ts cron ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { CLUSTER, FILE_KEY, JOB_FILE, KEY, spec, verb, type NounSpec } from '../../spec.js';

export const SCHEDULE = spec({
  name: 'schedule',
  summary: 'schedule (or replace) a cron job from a job file with cron.schedule',
  args: [FILE_KEY, JOB_FILE],
  options: [CLUSTER],
  examples: ['aurora-ts cron schedule examples/cron-job.json'],
});

export const DESCHEDULE = spec({
  name: 'deschedule',
  summary: 'remove a cron job',
  args: [KEY],
  examples: ['aurora-ts cron deschedule local/www-data/devel/every-five-minutes'],
});

export const START = spec({
  name: 'start',
  summary: 'run a cron job now',
  args: [KEY],
  examples: ['aurora-ts cron start local/www-data/devel/every-five-minutes'],
});

export const SHOW = spec({
  name: 'show',
  summary: "show a cron job's schedule and next run",
  args: [KEY],
  examples: ['aurora-ts cron show local/www-data/devel/every-five-minutes'],
});

export const CRON: NounSpec = {
  name: 'cron',
  summary: 'cron jobs',
  verbs: [
    verb(SCHEDULE, () => import('./schedule.js')),
    verb(DESCHEDULE, () => import('./deschedule.js')),
    verb(START, () => import('./start.js')),
    verb(SHOW, () => import('./show.js')),
  ],
};
