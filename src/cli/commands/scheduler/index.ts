/** `aurora-ts scheduler ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { spec, verb, type NounSpec } from '../../spec.js';
import { SETTINGS_FLAGS } from './settings.js';

export const START = spec({
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
});

export const HASH_PASSWORD = spec({
  name: 'hash-password',
  summary: 'hash a password for a --basic-auth-file users file (reads it from stdin; no echo on a terminal)',
  examples: ['aurora-ts scheduler hash-password', "printf '%s' \"$PASSWORD\" | aurora-ts scheduler hash-password"],
});

export const STATUS = spec({
  name: 'status',
  summary: 'show which local schedulers run, and where (several: a table)',
  options: [{ flags: '--port <port>', description: 'only the scheduler on this port, in detail', parse: 'positiveInteger' }],
  examples: ['aurora-ts scheduler status', 'aurora-ts scheduler status --port 8082', 'aurora-ts --json scheduler status'],
});

export const AGENTS = spec({
  name: 'agents',
  summary: "list the local scheduler's agents: host, maintenance mode, resources used/total, ports, attributes",
  args: [{ name: 'cluster', description: 'cluster name (default local)', optional: true }],
  examples: ['aurora-ts scheduler agents', 'aurora-ts --json scheduler agents'],
});

export const STOP = spec({
  name: 'stop',
  summary: 'stop a local scheduler (its tasks are killed): the one on 8081, else the only one',
  options: [
    { flags: '--port <port>', description: 'the scheduler on this port', parse: 'positiveInteger' },
    { flags: '--all', description: 'every local scheduler' },
  ],
  examples: ['aurora-ts scheduler stop', 'aurora-ts scheduler stop --port 8082', 'aurora-ts scheduler stop --all'],
});

export const SCHEDULER: NounSpec = {
  name: 'scheduler',
  summary: 'run the local Aurora-compatible scheduler',
  verbs: [
    verb(START, () => import('./start.js')),
    verb(HASH_PASSWORD, () => import('./hash-password.js')),
    verb(STATUS, () => import('./status.js')),
    verb(AGENTS, () => import('./agents.js')),
    verb(STOP, () => import('./stop.js')),
  ],
};
