/**
 * What the agent keeps so that, restarted on the same state directory, it recovers its executors as
 * a Mesos agent does from its meta directory (src/slave/paths.hpp, `recover` in src/slave/slave.cpp):
 * the executor API's port (the address every executor was given in MESOS_AGENT_ENDPOINT), and, for
 * each task on a Mesos executor, its ExecutorInfo, its container id and whether it ever subscribed;
 * with --authenticate-http-executors, the key executor tokens are signed with (Mesos reads its
 * --jwt_secret_key from a file for the same reason: tokens must outlive the agent's process). The
 * state directory is the scheduler's own (0700).
 */
import type { MesosJson } from '../../../mesos/proto.js';

export interface CheckpointedExecutor {
  executorId: string;
  executorInfo: MesosJson;
  containerId: string;
  /** Whether it subscribed before the restart: only such an executor is expected to re-subscribe in auto mode. */
  subscribed: boolean;
}

export interface AgentCheckpoint {
  /** The executor API's port in the previous run, if there was one. */
  readonly port: number | undefined;
  savePort(port: number): void;
  /** The key executor tokens were signed with in the previous run. */
  readonly executorSecret: Buffer | undefined;
  saveExecutorSecret(secret: Buffer): void;
  /** The executor of each task (by task id) as the previous run left it. */
  readonly executors: ReadonlyMap<string, CheckpointedExecutor>;
  /** Stores (or, with undefined, forgets) a task's executor. */
  saveExecutor(taskId: string, executor: CheckpointedExecutor | undefined): void;
}

/** The part of the scheduler's state (store/state.ts) a checkpoint needs: one section of keys and JSON values. */
export interface CheckpointStore {
  section(kind: string, read: (key: string) => string | undefined): { load(): Array<[key: string, value: Buffer]>; changed(key: string): void };
}

const PORT_KEY = 'port';
const SECRET_KEY = 'executor-secret';
const EXECUTOR_PREFIX = 'executor/';

/** A checkpoint kept in the `mesos-agent` section of the scheduler's state, written with its other changes. */
export function stateCheckpoint(store: CheckpointStore): AgentCheckpoint {
  const values = new Map<string, string>();
  const section = store.section('mesos-agent', (key) => values.get(key));
  for (const [key, value] of section.load()) values.set(key, value.toString('utf8'));
  const stored = values.get(PORT_KEY);
  const secret = values.get(SECRET_KEY);
  const executors = new Map<string, CheckpointedExecutor>();
  for (const [key, value] of values) {
    if (key.startsWith(EXECUTOR_PREFIX)) executors.set(key.slice(EXECUTOR_PREFIX.length), JSON.parse(value) as CheckpointedExecutor);
  }
  const save = (key: string, value: string | undefined): void => {
    if (value === undefined) values.delete(key);
    else values.set(key, value);
    section.changed(key);
  };
  return {
    port: stored === undefined ? undefined : Number(stored),
    savePort: (port) => save(PORT_KEY, String(port)),
    executorSecret: secret === undefined ? undefined : Buffer.from(secret, 'base64'),
    saveExecutorSecret: (key) => save(SECRET_KEY, key.toString('base64')),
    executors,
    saveExecutor: (taskId, executor) => save(EXECUTOR_PREFIX + taskId, executor === undefined ? undefined : JSON.stringify(executor)),
  };
}
