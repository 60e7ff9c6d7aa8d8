/** `aurora-ts task ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { KEY, KEY_INSTANCES, options, spec, verb, type NounSpec } from '../../spec.js';

/** Aurora's flags of `task run`/`task ssh` for reaching a Mesos cluster's agents over ssh (clusters.json entries with slave_root). */
const SSH_FLAGS = options([
  { flags: '-l, --ssh-user <user>', description: "ssh as this user, not the job's role (clusters with slave_root)" },
  { flags: '--ssh-options <options>', description: 'ssh options, space-separated (default $AURORA_TS_SSH_OPTIONS)' },
  { flags: '-e, --executor-sandbox', description: "over ssh: the executor's sandbox, not the Thermos task's" },
]);

export const LIST = spec({
  name: 'list',
  summary: 'list every task of a job, with its latest event',
  args: [KEY_INSTANCES],
  examples: ['aurora-ts task list local/www-data/devel/hello'],
});

export const PENDING = spec({
  name: 'pending',
  summary: 'why the pending tasks of a job are not scheduled',
  args: [KEY],
  examples: ['aurora-ts task pending local/www-data/devel/hello'],
});

export const LOGS = spec({
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
});

export const RUN = spec({
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
});

export const SSH = spec({
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
});

export const SCP = spec({
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
});

export const TASK: NounSpec = {
  name: 'task',
  summary: 'look at the tasks of a job',
  verbs: [
    verb(LIST, () => import('./list.js')),
    verb(PENDING, () => import('./pending.js')),
    verb(LOGS, () => import('./logs.js')),
    verb(RUN, () => import('./run.js')),
    verb(SSH, () => import('./ssh.js')),
    verb(SCP, () => import('./scp.js')),
  ],
};
