/** `aurora-ts update ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { CLUSTER, FILE_KEY_INSTANCES, JOB_FILE, KEY, MESSAGE, WAIT_TIMEOUT, arg, option, spec, verb, type NounSpec } from '../../spec.js';

const UPDATE_ID_ARG = arg({ name: 'update-id', description: "the update (as --id; Aurora's client takes it here)", optional: true });
const UPDATE_ID = option({ flags: '--id <id>', description: "the update to act on (default: the job's active update)" });

export const START = spec({
  name: 'start',
  summary: 'start updating the job of a job file (settings from its "update" section)',
  args: [FILE_KEY_INSTANCES, JOB_FILE],
  options: [
    CLUSTER,
    MESSAGE,
    { flags: '--instances <ids>', description: 'update only these instances, e.g. 0-2' },
    { flags: '--wait', description: 'wait until the update ends (exit 1 unless ROLLED_FORWARD)' },
    WAIT_TIMEOUT,
  ],
  examples: ['aurora-ts update start examples/hello-service-v2.json --wait', 'aurora-ts update start local/www-data/devel/hello/0 examples/hello-service-v2.json'],
});

/** A verb on the job's active update (or the one --id names). */
function control<const N extends string>(name: N, summary: string) {
  return spec({ name, summary, args: [KEY], options: [UPDATE_ID, MESSAGE], examples: [`aurora-ts update ${name} local/www-data/devel/hello`] });
}
export const PAUSE = control('pause', 'pause the active update');
export const RESUME = control('resume', 'resume a paused update');
export const ABORT = control('abort', 'abort the active update');
export const ROLLBACK = control('rollback', 'roll the active update back');

export const PULSE = spec({
  name: 'pulse',
  summary: 'pulse an update that waits for pulses',
  args: [KEY],
  options: [UPDATE_ID],
  examples: ['aurora-ts update pulse local/www-data/devel/hello'],
});

export const LIST = spec({
  name: 'list',
  summary: 'list updates of a cluster, a role or a job',
  args: [{ name: 'target', description: 'CLUSTER, CLUSTER/ROLE or a job key' }],
  options: [
    { flags: '--active', description: 'only updates in progress (as --status active)' },
    {
      flags: '--status <status>',
      description: 'only updates in this status or group (active, blocked, failed, inactive, paused, succeeded, all), as Aurora; repeat for several',
      repeatable: true,
    },
    { flags: '--user <name>', description: 'only updates started by this user' },
  ],
  examples: ['aurora-ts update list local', 'aurora-ts update list local/www-data/devel/hello --active', 'aurora-ts update list local --status failed --status paused --user UNSECURE'],
});

export const INFO = spec({
  name: 'info',
  summary: "show an update's events (default: the active, else the latest)",
  args: [KEY, UPDATE_ID_ARG],
  options: [UPDATE_ID],
  examples: ['aurora-ts update info local/www-data/devel/hello'],
});

export const WAIT = spec({
  name: 'wait',
  summary: 'wait until an update ends (exit 1 unless ROLLED_FORWARD)',
  args: [KEY, UPDATE_ID_ARG],
  options: [UPDATE_ID, WAIT_TIMEOUT],
  examples: ['aurora-ts update wait local/www-data/devel/hello'],
});

export const UPDATE: NounSpec = {
  name: 'update',
  summary: 'roll out a new configuration to a running job',
  verbs: [
    verb(START, () => import('./start.js')),
    verb(PAUSE, () => import('./pause.js')),
    verb(RESUME, () => import('./resume.js')),
    verb(ABORT, () => import('./abort.js')),
    verb(ROLLBACK, () => import('./rollback.js')),
    verb(PULSE, () => import('./pulse.js')),
    verb(LIST, () => import('./list.js')),
    verb(INFO, () => import('./info.js')),
    verb(WAIT, () => import('./wait.js')),
  ],
};
