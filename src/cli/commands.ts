/**
 * Every noun and verb of `aurora-ts`: arguments, flags, help text and examples, and a loader that
 * imports the verb's module only when it runs. Adding a command is one entry here plus one module
 * under src/cli/commands/<noun>/ exporting `run(ctx, input)`.
 */
import type { CliContext } from './context.js';
import { SETTINGS_FLAGS } from './commands/scheduler/settings.js';

export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
  /** Takes the rest of the arguments (a list). */
  variadic?: boolean;
  /**
   * Optional although a required argument follows (Aurora's `KEY FILE` form): given one value, the
   * command gets it as the next argument and this one unset.
   */
  leading?: boolean;
}

export interface OptionSpec {
  flags: string;
  description: string;
  choices?: readonly string[];
  parse?: 'positiveNumber' | 'positiveInteger' | 'nonNegativeNumber' | 'nonNegativeInteger' | 'duration';
  default?: unknown;
  env?: string;
  /** The option must be given. */
  required?: boolean;
  /** May be given several times; the command gets the values as a list. */
  repeatable?: boolean;
}

export interface VerbModule {
  run(ctx: CliContext, input: never): Promise<number | void>;
}

export interface VerbSpec {
  name: string;
  /** Other names, e.g. Aurora's client's name of the same verb. */
  aliases?: readonly string[];
  summary: string;
  args?: readonly ArgSpec[];
  options?: readonly OptionSpec[];
  examples?: readonly string[];
  load(): Promise<VerbModule>;
}

export interface NounSpec {
  name: string;
  summary: string;
  verbs: readonly VerbSpec[];
}

const KEY: ArgSpec = { name: 'key', description: 'job key cluster/role/env/name' };
const KEY_INSTANCES: ArgSpec = { name: 'key', description: 'job key cluster/role/env/name, optionally /instances (0-2 or 0,1-3,5)' };
const JOB_FILE: ArgSpec = { name: 'file', description: 'job file (.json, .js, .mjs, or .ts with tsx installed)' };
/** Aurora's client form `CLUSTER/ROLE/ENV/NAME CONFIG`: the key, when given, must be the file's job. */
const FILE_KEY: ArgSpec = { name: 'key', description: "the file's job key cluster/role/env/name, as Aurora's client takes it (optional; must match the file)", optional: true, leading: true };
const FILE_KEY_INSTANCES: ArgSpec = { ...FILE_KEY, description: "the file's job key, optionally /instances, as Aurora's client takes it (optional; must match the file)" };
const UPDATE_ID_ARG: ArgSpec = { name: 'update-id', description: 'the update (as --id; Aurora\'s client takes it here)', optional: true };
const CLUSTER: OptionSpec = { flags: '--cluster <name>', description: 'cluster to use (overrides the job file\'s "cluster"; default local)' };
const MESSAGE: OptionSpec = { flags: '--message <text>', description: 'message recorded with the request' };
const UPDATE_ID: OptionSpec = { flags: '--id <id>', description: 'the update to act on (default: the job\'s active update)' };
const CLUSTER_ARG: ArgSpec = { name: 'cluster', description: 'cluster name' };
const HOSTS: ArgSpec = { name: 'hosts', description: 'host names', variadic: true };

/** A verb whose code is one function of a noun's module. */
function verbOf<M>(load: () => Promise<M>, pick: (m: M) => VerbModule['run']): () => Promise<VerbModule> {
  return async () => ({ run: pick(await load()) });
}

const WAIT_TIMEOUT: OptionSpec = { flags: '--wait-timeout <seconds>', description: 'give up waiting after this long (exit 1)', parse: 'positiveNumber' };
/** Aurora's batched kill: kill N instances, wait until they end, then the next N. */
const KILL_BATCHING: readonly OptionSpec[] = [
  { flags: '--batch-size <n>', description: 'kill this many instances at a time, each batch waited for (--wait-timeout per batch, default 150 s)', parse: 'positiveInteger' },
  { flags: '--max-total-failures <n>', description: 'with --batch-size: batches not killed in time to tolerate before giving up (default 0)', parse: 'nonNegativeInteger' },
];

/** Aurora's flags of `task run`/`task ssh` for reaching a Mesos cluster's agents over ssh (clusters.json entries with slave_root). */
const SSH_FLAGS: readonly OptionSpec[] = [
  { flags: '-l, --ssh-user <user>', description: "ssh as this user, not the job's role (clusters with slave_root)" },
  { flags: '--ssh-options <options>', description: 'ssh options, space-separated (default $AURORA_TS_SSH_OPTIONS)' },
  { flags: '-e, --executor-sandbox', description: "over ssh: the executor's sandbox, not the Thermos task's" },
];

/** Aurora's `--config FILE` where its client only loads it for API hooks: checked to hold the job, then unused. */
const CONFIG: OptionSpec = { flags: '--config <file>', description: "Aurora's form: a job file, which must hold this job (checked only)" };

/** A verb that also takes {@link CONFIG}: the file is checked (commands/job/config.ts) before the verb runs without it. */
function withJobConfig(verb: string, load: () => Promise<VerbModule>): () => Promise<VerbModule> {
  return async () => {
    const module = await load();
    return {
      run: async (ctx: CliContext, input: { key: string; config?: string }) => {
        const { config, ...rest } = input;
        if (config !== undefined) await (await import('./commands/job/config.js')).checkJobConfig(ctx, verb, rest.key, config);
        return module.run(ctx, rest as never);
      },
    };
  };
}

export const COMMANDS: readonly NounSpec[] = [
  {
    name: 'job',
    summary: 'create, inspect and control jobs',
    verbs: [
      {
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
        load: () => import('./commands/job/create.js'),
      },
      {
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
        load: () => import('./commands/job/wizard.js'),
      },
      {
        name: 'status',
        summary: 'show the tasks of a job',
        args: [KEY_INSTANCES],
        options: [{ flags: '--all', description: 'include finished, failed and killed tasks' }],
        examples: ['aurora-ts job status local/www-data/devel/hello', 'aurora-ts --json job status local/www-data/devel/hello/0-1'],
        load: () => import('./commands/job/status.js'),
      },
      {
        name: 'list',
        summary: 'list the jobs of a cluster, a role, or matching a key pattern',
        args: [{ name: 'cluster-role', description: "CLUSTER[/ROLE[/ENV[/NAME]]]; ROLE, ENV and NAME may hold Aurora's wildcards * ? [...]" }],
        examples: ['aurora-ts job list local', 'aurora-ts job list local/www-data', "aurora-ts job list 'local/*/devel/hel*'"],
        load: () => import('./commands/job/list.js'),
      },
      {
        name: 'kill',
        summary: 'kill some instances of a job',
        args: [{ name: 'key', description: 'job key with instances: cluster/role/env/name/instances' }],
        options: [MESSAGE, { flags: '--wait', description: 'wait until the tasks are no longer active' }, WAIT_TIMEOUT, ...KILL_BATCHING, CONFIG],
        examples: ['aurora-ts job kill local/www-data/devel/hello/1', 'aurora-ts job kill local/www-data/devel/hello/0-1 --wait'],
        load: withJobConfig('kill', () => import('./commands/job/kill.js')),
      },
      {
        name: 'killall',
        summary: 'kill every instance of a job',
        args: [KEY],
        options: [MESSAGE, { flags: '--wait', description: 'wait until the tasks are no longer active' }, WAIT_TIMEOUT, ...KILL_BATCHING, CONFIG],
        examples: ['aurora-ts job killall local/www-data/devel/hello --batch-size 1'],
        load: withJobConfig('killall', () => import('./commands/job/killall.js')),
      },
      {
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
        load: withJobConfig('restart', () => import('./commands/job/restart.js')),
      },
      {
        name: 'add',
        summary: 'add instances copied from an existing one',
        args: [
          { name: 'key', description: 'cluster/role/env/name/INSTANCE: the instance to copy' },
          { name: 'count', description: 'how many instances to add' },
        ],
        options: [CONFIG],
        examples: ['aurora-ts job add local/www-data/devel/hello/0 2'],
        load: withJobConfig('add', () => import('./commands/job/add.js')),
      },
      {
        name: 'inspect',
        summary: 'show the JobConfiguration a job file would send',
        args: [FILE_KEY, JOB_FILE],
        options: [CLUSTER],
        examples: ['aurora-ts job inspect examples/hello-service.json', 'aurora-ts --json job inspect examples/hello-service.json'],
        load: () => import('./commands/job/inspect.js'),
      },
      {
        name: 'diff',
        summary: 'compare a job file with the running job (KEY/INSTANCES: only those instances)',
        args: [FILE_KEY_INSTANCES, JOB_FILE],
        options: [CLUSTER, { flags: '--exit-code', description: 'exit 1 when there are differences, 0 when none (as git diff)' }],
        examples: ['aurora-ts job diff examples/hello-service-v2.json', 'aurora-ts job diff local/www-data/devel/hello/0 examples/hello-service-v2.json'],
        load: () => import('./commands/job/diff.js'),
      },
    ],
  },
  {
    name: 'task',
    summary: 'look at the tasks of a job',
    verbs: [
      {
        name: 'list',
        summary: 'list every task of a job, with its latest event',
        args: [KEY_INSTANCES],
        examples: ['aurora-ts task list local/www-data/devel/hello'],
        load: () => import('./commands/task/list.js'),
      },
      {
        name: 'pending',
        summary: 'why the pending tasks of a job are not scheduled',
        args: [KEY],
        examples: ['aurora-ts task pending local/www-data/devel/hello'],
        load: () => import('./commands/task/pending.js'),
      },
      {
        name: 'logs',
        summary: "print a task's output, or a Thermos process's, from its sandbox",
        args: [{ name: 'key', description: 'cluster/role/env/name/INSTANCE' }],
        options: [
          { flags: '--process <name>', description: "a Thermos process: its own logs (.logs/NAME/RUN/), of its latest run" },
          { flags: '--file <file>', description: 'stdout (default), stderr, or without --process a path in the sandbox' },
          { flags: '--stderr', description: 'same as --file stderr' },
          { flags: '-f, --follow', description: "keep printing new output until the task ends (and a process's next runs)" },
          { flags: '--source <where>', description: "the local scheduler's sandbox or the task's Mesos agent (default auto)", choices: ['auto', 'scheduler', 'agent'] },
        ],
        examples: [
          'aurora-ts task logs local/www-data/devel/hello/0',
          'aurora-ts task logs local/www-data/devel/hello/0 --stderr --follow',
          'aurora-ts task logs local/www-data/devel/thermos-batch/0 --process compute',
          'aurora-ts task logs local/www-data/devel/thermos-batch/0 --file result.txt',
        ],
        load: () => import('./commands/task/logs.js'),
      },
      {
        name: 'run',
        summary: "run a shell command in each live task's sandbox, with the task's environment",
        args: [KEY_INSTANCES, { name: 'command', description: 'the command (quote it, or put it after --); {{thermos.ports[NAME]}}, {{thermos.task_id}}, {{mesos.instance}} are bound', variadic: true }],
        options: [
          { flags: '-t, --threads <n>', description: 'instances to run the command on at once (default 1)', parse: 'positiveInteger' },
          ...SSH_FLAGS,
        ],
        examples: [
          'aurora-ts task run local/www-data/devel/hello pwd',
          'aurora-ts task run local/www-data/devel/hello/0 -- ls -a',
          'aurora-ts task run --threads 4 local/www-data/devel/hello -- cat stdout',
        ],
        load: () => import('./commands/task/run.js'),
      },
      {
        name: 'ssh',
        summary: "open a shell in a task's sandbox, with the task's environment",
        args: [{ name: 'key', description: 'cluster/role/env/name/INSTANCE (without INSTANCE: the first)' }],
        options: [
          { flags: '-c, --command <cmd>', description: 'run this instead of an interactive bash (needs an INSTANCE)' },
          { flags: '-L, --tunnel <PORT:NAME>', description: "forward local PORT to the task's port NAME (repeatable)", repeatable: true },
          { flags: '-p, --pid-file <file>', description: 'write the pid of the shell (or of ssh) here' },
          ...SSH_FLAGS,
        ],
        examples: [
          'aurora-ts task ssh local/www-data/devel/hello/0',
          'aurora-ts task ssh local/www-data/devel/hello/0 --command pwd',
        ],
        load: () => import('./commands/task/ssh.js'),
      },
      {
        name: 'scp',
        summary: 'copy files into, out of and between task sandboxes',
        args: [{ name: 'paths', description: 'SOURCE... DEST: local paths or KEY/INSTANCE:PATH, PATH in the sandbox', variadic: true }],
        options: [
          { flags: '-r, --recursive', description: 'copy directories and what they hold' },
          { flags: '--scp-options <options>', description: 'system scp options, space-separated (clusters with slave_root)' },
          ...SSH_FLAGS,
        ],
        examples: [
          'aurora-ts task scp local/www-data/devel/hello/0:stdout /tmp/hello-0.log',
          'aurora-ts task scp /tmp/hello-0.log local/www-data/devel/hello/0:copy.log',
          'aurora-ts task scp -r local/www-data/devel/hello/0: /tmp/hello-0-sandbox',
        ],
        load: () => import('./commands/task/scp.js'),
      },
    ],
  },
  {
    name: 'update',
    summary: 'roll out a new configuration to a running job',
    verbs: [
      {
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
        load: verbOf(() => import('./commands/update.js'), (m) => m.start),
      },
      ...(
        [
          ['pause', 'pause the active update', (m: typeof import('./commands/update.js')) => m.pause],
          ['resume', 'resume a paused update', (m: typeof import('./commands/update.js')) => m.resume],
          ['abort', 'abort the active update', (m: typeof import('./commands/update.js')) => m.abort],
          ['rollback', 'roll the active update back', (m: typeof import('./commands/update.js')) => m.rollback],
        ] as const
      ).map(([name, summary, pick]) => ({
        name,
        summary,
        args: [KEY],
        options: [UPDATE_ID, MESSAGE],
        examples: [`aurora-ts update ${name} local/www-data/devel/hello`],
        load: verbOf(() => import('./commands/update.js'), pick),
      })),
      {
        name: 'pulse',
        summary: 'pulse an update that waits for pulses',
        args: [KEY],
        options: [UPDATE_ID],
        examples: ['aurora-ts update pulse local/www-data/devel/hello'],
        load: verbOf(() => import('./commands/update.js'), (m) => m.pulse),
      },
      {
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
        load: verbOf(() => import('./commands/update.js'), (m) => m.list),
      },
      {
        name: 'info',
        summary: "show an update's events (default: the active, else the latest)",
        args: [KEY, UPDATE_ID_ARG],
        options: [UPDATE_ID],
        examples: ['aurora-ts update info local/www-data/devel/hello'],
        load: verbOf(() => import('./commands/update.js'), (m) => m.info),
      },
      {
        name: 'wait',
        summary: 'wait until an update ends (exit 1 unless ROLLED_FORWARD)',
        args: [KEY, UPDATE_ID_ARG],
        options: [UPDATE_ID, WAIT_TIMEOUT],
        examples: ['aurora-ts update wait local/www-data/devel/hello'],
        load: verbOf(() => import('./commands/update.js'), (m) => m.wait),
      },
    ],
  },
  {
    name: 'cron',
    summary: 'cron jobs',
    verbs: [
      {
        name: 'schedule',
        summary: 'schedule (or replace) a cron job from a job file with cron.schedule',
        args: [FILE_KEY, JOB_FILE],
        options: [CLUSTER],
        examples: ['aurora-ts cron schedule examples/cron-job.json'],
        load: verbOf(() => import('./commands/cron.js'), (m) => m.schedule),
      },
      {
        name: 'deschedule',
        summary: 'remove a cron job',
        args: [KEY],
        examples: ['aurora-ts cron deschedule local/www-data/devel/every-five-minutes'],
        load: verbOf(() => import('./commands/cron.js'), (m) => m.deschedule),
      },
      {
        name: 'start',
        summary: 'run a cron job now',
        args: [KEY],
        examples: ['aurora-ts cron start local/www-data/devel/every-five-minutes'],
        load: verbOf(() => import('./commands/cron.js'), (m) => m.start),
      },
      {
        name: 'show',
        summary: "show a cron job's schedule and next run",
        args: [KEY],
        examples: ['aurora-ts cron show local/www-data/devel/every-five-minutes'],
        load: verbOf(() => import('./commands/cron.js'), (m) => m.show),
      },
    ],
  },
  {
    name: 'quota',
    summary: 'role quotas',
    verbs: [
      {
        name: 'get',
        summary: "show a role's quota and consumption",
        args: [{ name: 'target', description: 'CLUSTER/ROLE' }],
        examples: ['aurora-ts quota get local/www-data'],
        load: verbOf(() => import('./commands/quota.js'), (m) => m.get),
      },
      {
        name: 'set',
        summary: "set a role's quota (admin)",
        args: [{ name: 'target', description: 'CLUSTER/ROLE' }],
        options: [
          { flags: '--cpus <n>', description: 'CPUs', parse: 'nonNegativeNumber', required: true },
          { flags: '--ram-mb <n>', description: 'RAM in MiB', parse: 'nonNegativeInteger', required: true },
          { flags: '--disk-mb <n>', description: 'disk in MiB', parse: 'nonNegativeInteger', required: true },
        ],
        examples: ['aurora-ts quota set local/www-data --cpus 8 --ram-mb 16384 --disk-mb 65536'],
        load: verbOf(() => import('./commands/quota.js'), (m) => m.set),
      },
    ],
  },
  {
    name: 'sla',
    summary: 'job uptime numbers',
    verbs: [
      {
        name: 'uptime',
        aliases: ['get-job-uptime'],
        summary: 'how long the instances of a job have been running, by percentile',
        args: [KEY],
        options: [{ flags: '--percentiles <list>', description: 'comma-separated percentiles', default: '50,75,90,95,99' }],
        examples: ['aurora-ts sla uptime local/www-data/devel/hello'],
        load: verbOf(() => import('./commands/sla.js'), (m) => m.uptime),
      },
      {
        name: 'up-count',
        aliases: ['get-task-up-count'],
        summary: 'how many instances have been up for at least --duration seconds, or each of --durations',
        args: [KEY],
        options: [
          { flags: '--duration <seconds>', description: 'minimum uptime (default 0)', parse: 'nonNegativeInteger' },
          { flags: '--durations <list>', description: "several minimum uptimes, Aurora's XdYhZmWs or seconds, e.g. 1m,10m,1h,12h,7d" },
        ],
        examples: ['aurora-ts sla up-count local/www-data/devel/hello --duration 300', 'aurora-ts sla up-count local/www-data/devel/hello --durations 1m,1h,1d'],
        load: verbOf(() => import('./commands/sla.js'), (m) => m.upCount),
      },
    ],
  },
  {
    name: 'maintenance',
    summary: 'host maintenance (admin)',
    verbs: [
      ...(
        [
          ['start', 'put hosts into maintenance (SCHEDULED)', (m: typeof import('./commands/maintenance.js')) => m.start, false],
          ['drain', 'drain hosts: move their tasks away', (m: typeof import('./commands/maintenance.js')) => m.drain, false],
          ['status', 'show the maintenance mode of hosts (without HOSTS: every host tasks ran on)', (m: typeof import('./commands/maintenance.js')) => m.status, true],
          ['end', 'end maintenance of hosts', (m: typeof import('./commands/maintenance.js')) => m.end, false],
        ] as const
      ).map(([name, summary, pick, optional]) => ({
        name,
        summary,
        args: [CLUSTER_ARG, { ...HOSTS, optional }],
        examples: [`aurora-ts maintenance ${name} local host1.example.com`],
        load: verbOf(() => import('./commands/maintenance.js'), pick),
      })),
      {
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
        load: verbOf(() => import('./commands/maintenance.js'), (m) => m.slaDrain),
      },
    ],
  },
  {
    name: 'admin',
    summary: 'scheduler administration (AuroraAdmin RPCs)',
    verbs: [
      { name: 'snapshot', summary: 'write a storage snapshot', args: [CLUSTER_ARG], examples: ['aurora-ts admin snapshot local'], load: verbOf(() => import('./commands/admin.js'), (m) => m.snapshot) },
      { name: 'backup', summary: 'write a backup now', args: [CLUSTER_ARG], examples: ['aurora-ts admin backup local'], load: verbOf(() => import('./commands/admin.js'), (m) => m.backup) },
      { name: 'list-backups', summary: 'list backups', args: [CLUSTER_ARG], examples: ['aurora-ts admin list-backups local'], load: verbOf(() => import('./commands/admin.js'), (m) => m.listBackups) },
      {
        name: 'reconcile',
        summary: 'trigger task reconciliation (implicit unless --explicit)',
        args: [CLUSTER_ARG],
        options: [
          { flags: '--explicit', description: 'explicit reconciliation' },
          { flags: '--batch-size <n>', description: 'tasks per explicit batch', parse: 'positiveInteger' },
        ],
        examples: ['aurora-ts admin reconcile local --explicit --batch-size 100'],
        load: verbOf(() => import('./commands/admin.js'), (m) => m.reconcile),
      },
      {
        name: 'prune',
        summary: 'prune terminated tasks',
        args: [{ name: 'target', description: 'CLUSTER or CLUSTER/ROLE' }],
        options: [{ flags: '--limit <n>', description: 'at most this many tasks', parse: 'positiveInteger' }],
        examples: ['aurora-ts admin prune local/www-data'],
        load: verbOf(() => import('./commands/admin.js'), (m) => m.prune),
      },
      {
        name: 'force-state',
        summary: "force a task's state (dangerous)",
        args: [CLUSTER_ARG, { name: 'task-id', description: 'task id' }, { name: 'state', description: 'task state, e.g. FAILED' }],
        examples: ['aurora-ts admin force-state local www-data-devel-hello-0-8c1d4c8e-5b8f-4a4e-9c1e-2f6a1b7d9e3a FAILED'],
        load: verbOf(() => import('./commands/admin.js'), (m) => m.forceState),
      },
    ],
  },
  {
    name: 'scheduler',
    summary: 'run the local Aurora-compatible scheduler',
    verbs: [
      {
        name: 'start',
        summary: 'start the local scheduler (in the foreground unless --detach)',
        options: [
          { flags: '--host <host>', description: 'interface to listen on', default: '127.0.0.1' },
          { flags: '--port <port>', description: 'port to listen on (0 picks a free one)', default: 8081, parse: 'nonNegativeInteger' },
          { flags: '--custom-executor-config <file>', description: "custom executors, in Aurora's -custom_executor_config format" },
          { flags: '--cluster-name <name>', description: 'cluster name the scheduler reports', default: 'local' },
          { flags: '--cpus <n>', description: 'CPUs of the single agent (default: this machine\'s)', parse: 'positiveNumber' },
          { flags: '--ram-mb <n>', description: 'RAM in MiB of the single agent (default: this machine\'s)', parse: 'positiveInteger' },
          ...SETTINGS_FLAGS,
          { flags: '--work-dir <dir>', description: 'where sandboxes live (default: a temporary directory)' },
          { flags: '--state-dir <dir>', description: 'keep jobs, updates, cron, quotas and maintenance here across restarts (sandboxes under DIR/sandboxes)' },
          { flags: '--agent-processes', description: "with --state-dir: run each agent's tasks under an agent process of its own, which outlives the scheduler (state under DIR/agents)" },
          { flags: '--agent-ping-timeout <seconds>', description: "with --agent-processes: Mesos' agent ping timeout (default 15)", parse: 'positiveNumber' },
          { flags: '--max-agent-ping-timeouts <n>', description: 'with --agent-processes: pings an agent may miss before it is unreachable and its tasks LOST (default 5)', parse: 'positiveInteger' },
          { flags: '--partition-aware', description: "with --agent-processes: an unreachable agent's tasks go PARTITIONED, not LOST, under their job's partition policy (Aurora's -partition_aware)" },
          { flags: '--zk <hosts>', description: 'take part in leader election in ZooKeeper, e.g. zk1:2181,zk2:2181; followers redirect API calls to the leader' },
          { flags: '--zk-path <path>', description: 'the serverset path schedulers announce under (with --zk; default /aurora/scheduler)' },
          { flags: '--basic-auth-file <file>', description: 'require HTTP Basic users from this Shiro-style users file for write calls (hashes from "scheduler hash-password")' },
          { flags: '--task-user <name>', description: 'run task processes as this local user (needs root)' },
          { flags: '--detach', description: 'run in the background; print the URL once the API answers' },
        ],
        examples: [
          'aurora-ts scheduler start --custom-executor-config examples/executors.json',
          'aurora-ts scheduler start --detach --port 0',
          'aurora-ts scheduler start --state-dir ~/.aurora-ts/state',
          'aurora-ts scheduler start --zk 127.0.0.1:2181 --port 0',
          'aurora-ts scheduler start --basic-auth-file examples/users.ini --task-user nobody',
          'aurora-ts scheduler start --agents examples/agents.json',
        ],
        load: () => import('./commands/scheduler/start.js'),
      },
      {
        name: 'hash-password',
        summary: 'hash a password for a --basic-auth-file users file (reads it from stdin; no echo on a terminal)',
        examples: ['aurora-ts scheduler hash-password', "printf '%s' \"$PASSWORD\" | aurora-ts scheduler hash-password"],
        load: () => import('./commands/scheduler/hash-password.js'),
      },
      {
        name: 'status',
        summary: 'show which local schedulers run, and where (several: a table)',
        options: [{ flags: '--port <port>', description: 'only the scheduler on this port, in detail', parse: 'positiveInteger' }],
        examples: ['aurora-ts scheduler status', 'aurora-ts scheduler status --port 8082', 'aurora-ts --json scheduler status'],
        load: () => import('./commands/scheduler/status.js'),
      },
      {
        name: 'agents',
        summary: "list the local scheduler's agents: host, maintenance mode, resources used/total, ports, attributes",
        args: [{ name: 'cluster', description: 'cluster name (default local)', optional: true }],
        examples: ['aurora-ts scheduler agents', 'aurora-ts --json scheduler agents'],
        load: () => import('./commands/scheduler/agents.js'),
      },
      {
        name: 'stop',
        summary: 'stop a local scheduler (its tasks are killed): the one on 8081, else the only one',
        options: [
          { flags: '--port <port>', description: 'the scheduler on this port', parse: 'positiveInteger' },
          { flags: '--all', description: 'every local scheduler' },
        ],
        examples: ['aurora-ts scheduler stop', 'aurora-ts scheduler stop --port 8082', 'aurora-ts scheduler stop --all'],
        load: () => import('./commands/scheduler/stop.js'),
      },
    ],
  },
  {
    name: 'executors',
    summary: "check and show a scheduler's custom executor file, or start a new executor",
    verbs: [
      {
        name: 'validate',
        summary: "check a custom executor file the way Aurora's scheduler does at start-up",
        args: [{ name: 'file', description: 'executor settings file (JSON)' }],
        examples: ['aurora-ts executors validate examples/executors.json'],
        load: () => import('./commands/executors/validate.js'),
      },
      {
        name: 'list',
        summary: 'list the executors of a file (default: the running local scheduler\'s)',
        args: [{ name: 'file', description: 'executor settings file (JSON)', optional: true }],
        examples: ['aurora-ts executors list examples/executors.json'],
        load: () => import('./commands/executors/list.js'),
      },
      {
        name: 'new',
        summary: 'write a project for a custom executor in TypeScript (aurora-ts/executor)',
        args: [{ name: 'name', description: 'names the package, the executor and the job (a-z 0-9 - _ .)' }],
        options: [{ flags: '--dir <dir>', description: 'where to write it: a new or empty directory (default ./NAME)' }],
        examples: ['aurora-ts executors new hello-exec', 'aurora-ts executors new hello-exec --dir ~/src/hello-exec'],
        load: () => import('./commands/executors/new.js'),
      },
    ],
  },
  {
    name: 'clusters',
    summary: 'clusters from clusters.json',
    verbs: [
      {
        name: 'list',
        summary: 'list the known clusters',
        examples: ['aurora-ts clusters list'],
        load: () => import('./commands/clusters/list.js'),
      },
    ],
  },
];
