/** `aurora-ts job ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import type { CliContext } from '../../context.js';
import { CLUSTER, FILE_KEY, FILE_KEY_INSTANCES, JOB_FILE, KEY, KEY_INSTANCES, MESSAGE, WAIT_TIMEOUT, option, options, spec, verb, type NounSpec, type VerbModule } from '../../spec.js';

/** Aurora's batched kill: kill N instances, wait until they end, then the next N. */
const KILL_BATCHING = options([
  { flags: '--batch-size <n>', description: 'kill this many instances at a time, each batch waited for (--wait-timeout per batch, default 150 s)', parse: 'positiveInteger' },
  { flags: '--max-total-failures <n>', description: 'with --batch-size: batches not killed in time to tolerate before giving up (default 0)', parse: 'nonNegativeInteger' },
]);
const WAIT = option({ flags: '--wait', description: 'wait until the tasks are no longer active' });

/** Aurora's `--config FILE` where its client only loads it for API hooks: checked to hold the job, then unused. */
const CONFIG = option({ flags: '--config <file>', description: "Aurora's form: a job file, which must hold this job (checked only)" });

/** A verb that also takes {@link CONFIG}: the file is checked (./config.ts) before the verb runs, which does not read it. */
function withJobConfig<Input extends { key: string }>(verb: string, load: () => Promise<VerbModule<Input>>): () => Promise<VerbModule<Input & { config?: string }>> {
  return async () => {
    const module = await load();
    return {
      run: async (ctx: CliContext, input: Input & { config?: string }) => {
        if (input.config !== undefined) await (await import('./config.js')).checkJobConfig(ctx, verb, input.key, input.config);
        return module.run(ctx, input);
      },
    };
  };
}

export const CREATE = spec({
  name: 'create',
  summary: 'create a job from a job file',
  args: [FILE_KEY, JOB_FILE],
  options: [
    CLUSTER,
    { flags: '--wait-until <state>', description: 'wait until every instance is in this state', choices: ['PENDING', 'RUNNING', 'FINISHED'] },
    WAIT_TIMEOUT,
  ],
  examples: [
    'aurora-ts job create examples/hello-service.json --wait-until RUNNING',
    'aurora-ts job create examples/thermos-batch.json --wait-until FINISHED',
    'aurora-ts job create local/www-data/devel/hello examples/hello-service.json',
    'aurora-ts --json job create examples/hello-service.json',
  ],
});

export const WIZARD = spec({
  name: 'wizard',
  summary: 'write a job file by answering questions, then save it and optionally create the job',
  options: [
    { flags: '-o, --output <file>', description: 'job file to write (asked when absent; default job.json)' },
    { flags: '--from <file>', description: 'start from an existing job file and edit it' },
    { flags: '--custom-executor-config <file>', description: "the cluster's custom executors (default: the cluster's own, or the running local scheduler's)" },
    { flags: '--cluster <name>', description: 'cluster of the job (then not asked)' },
  ],
  examples: [
    'aurora-ts job wizard',
    'aurora-ts job wizard --output web.json',
    'aurora-ts job wizard --custom-executor-config examples/executors.json',
    'aurora-ts job wizard --from examples/hello-service.json',
  ],
});

export const STATUS = spec({
  name: 'status',
  summary: 'show the tasks of a job',
  args: [KEY_INSTANCES],
  options: [{ flags: '--all', description: 'include finished, failed and killed tasks' }],
  examples: ['aurora-ts job status local/www-data/devel/hello', 'aurora-ts --json job status local/www-data/devel/hello/0-1'],
});

export const LIST = spec({
  name: 'list',
  summary: 'list the jobs of a cluster, a role, or matching a key pattern',
  args: [{ name: 'cluster-role', description: "CLUSTER[/ROLE[/ENV[/NAME]]]; ROLE, ENV and NAME may hold Aurora's wildcards * ? [...]" }],
  examples: ['aurora-ts job list local', 'aurora-ts job list local/www-data', "aurora-ts job list 'local/*/devel/hel*'"],
});

export const KILL = spec({
  name: 'kill',
  summary: 'kill some instances of a job',
  args: [{ name: 'key', description: 'job key with instances: cluster/role/env/name/instances' }],
  options: [MESSAGE, WAIT, WAIT_TIMEOUT, ...KILL_BATCHING, CONFIG],
  examples: ['aurora-ts job kill local/www-data/devel/hello/1', 'aurora-ts job kill local/www-data/devel/hello/0-1 --wait'],
});

export const KILLALL = spec({
  name: 'killall',
  summary: 'kill every instance of a job',
  args: [KEY],
  options: [MESSAGE, WAIT, WAIT_TIMEOUT, ...KILL_BATCHING, CONFIG],
  examples: ['aurora-ts job killall local/www-data/devel/hello --batch-size 1'],
});

export const RESTART = spec({
  name: 'restart',
  summary: 'rolling restart: batches of instances, each watched until healthy',
  args: [KEY_INSTANCES],
  options: [
    CONFIG,
    { flags: '--batch-size <n>', description: 'instances restarted at a time (default 1)', parse: 'positiveInteger' },
    { flags: '--watch-secs <seconds>', description: 'time a new task must stay RUNNING (default 30)', parse: 'nonNegativeInteger' },
    { flags: '--max-per-instance-failures <n>', description: 'failures an instance may have (default 0)', parse: 'nonNegativeInteger' },
    { flags: '--max-total-failures <n>', description: 'failed instances tolerated before stopping (default 0)', parse: 'nonNegativeInteger' },
    { flags: '--healthcheck-interval-seconds <s>', description: 'time between looks at a batch (default 3)', parse: 'positiveNumber' },
    { flags: '--batch-timeout <seconds>', description: 'give up when a batch has not settled after this long (default 600)', parse: 'positiveNumber' },
  ],
  examples: [
    'aurora-ts job restart local/www-data/devel/hello --batch-size 2 --watch-secs 5',
    'aurora-ts job restart local/www-data/devel/hello/1 --watch-secs 3',
    'aurora-ts --json job restart local/www-data/devel/hello/0 --watch-secs 3 --max-total-failures 1',
  ],
});

export const ADD = spec({
  name: 'add',
  summary: 'add instances copied from an existing one',
  args: [
    { name: 'key', description: 'cluster/role/env/name/INSTANCE: the instance to copy' },
    { name: 'count', description: 'how many instances to add' },
  ],
  options: [CONFIG],
  examples: ['aurora-ts job add local/www-data/devel/hello/0 2'],
});

export const INSPECT = spec({
  name: 'inspect',
  summary: 'show the JobConfiguration a job file would send',
  args: [FILE_KEY, JOB_FILE],
  options: [CLUSTER],
  examples: ['aurora-ts job inspect examples/hello-service.json', 'aurora-ts --json job inspect examples/hello-service.json'],
});

export const DIFF = spec({
  name: 'diff',
  summary: 'compare a job file with the running job (KEY/INSTANCES: only those instances)',
  args: [FILE_KEY_INSTANCES, JOB_FILE],
  options: [CLUSTER, { flags: '--exit-code', description: 'exit 1 when there are differences, 0 when none (as git diff)' }],
  examples: ['aurora-ts job diff examples/hello-service-v2.json', 'aurora-ts job diff local/www-data/devel/hello/0 examples/hello-service-v2.json'],
});

export const JOB: NounSpec = {
  name: 'job',
  summary: 'create, inspect and control jobs',
  verbs: [
    verb(CREATE, () => import('./create.js')),
    verb(WIZARD, () => import('./wizard.js')),
    verb(STATUS, () => import('./status.js')),
    verb(LIST, () => import('./list.js')),
    verb(KILL, withJobConfig('kill', () => import('./kill.js'))),
    verb(KILLALL, withJobConfig('killall', () => import('./killall.js'))),
    verb(RESTART, withJobConfig('restart', () => import('./restart.js'))),
    verb(ADD, withJobConfig('add', () => import('./add.js'))),
    verb(INSPECT, () => import('./inspect.js')),
    verb(DIFF, () => import('./diff.js')),
  ],
};
