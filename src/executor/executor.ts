/**
 * The executor's life, as Mesos' v1 executor library leads it (src/executor/executor.cpp and
 * docs/executor-http-api.md): SUBSCRIBE, handle the events, send each status UPDATE with a fresh
 * uuid and keep it until ACKNOWLEDGED. When the subscription breaks, a checkpointing executor
 * re-subscribes with backoff (the agent may be restarting; 503 while it recovers), carrying its
 * unacknowledged updates and tasks, for at most MESOS_RECOVERY_TIMEOUT; one without checkpointing
 * exits. It exits on SHUTDOWN (after killing its tasks) and once every task it was given has ended.
 */
import { APPLICATION_JSON, APPLICATION_PROTOBUF, type MediaType, type MesosJson } from '../mesos/proto.js';
import { AgentConnection } from './agent-connection.js';
import type { ExecutorEnvironment } from './env.js';
import { ExecutorTask } from './task.js';
import type { AssignedTask, ExecutorExit, ExecutorHandler, TaskInfo } from './types.js';

type ThriftCodec = typeof import('../protocol/index.js');

const FIRST_BACKOFF_MS = 100;
const UPDATE_RETRY_MS = 1_000;

/** Task states after which Mesos takes no other update for the task. */
export const TERMINAL_STATES = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);

interface PendingUpdate {
  taskId: string;
  status: MesosJson;
  acknowledged: () => void;
  /** Carried by the SUBSCRIBE now in flight: the agent takes it from there. */
  inSubscribe: boolean;
}

export class Executor {
  private readonly connection: AgentConnection;
  private readonly tasks = new Map<string, ExecutorTask>();
  /** By uuid (base64), in the order they were sent. */
  private readonly pending = new Map<string, PendingUpdate>();
  private subscribed = false;
  private exit: ExecutorExit | undefined;
  private settle!: (exit: ExecutorExit) => void;
  private readonly done = new Promise<ExecutorExit>((resolve) => (this.settle = resolve));
  private shuttingDown = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private codec: Promise<ThriftCodec> | undefined;
  private loadedCodec: ThriftCodec | undefined;

  constructor(
    readonly env: ExecutorEnvironment,
    private readonly handler: ExecutorHandler,
    readonly media: MediaType,
    readonly processEnv: NodeJS.ProcessEnv,
    readonly log: (line: string) => void,
  ) {
    this.connection = new AgentConnection(env.agentEndpoint, media, env.token);
  }

  run(): Promise<ExecutorExit> {
    void this.subscribeLoop();
    // Needed from the first LAUNCH on; loads while the agent answers SUBSCRIBE.
    void this.thriftCodec();
    return this.done;
  }

  /** The Thrift codec (for TaskInfo.data), loaded once. */
  thriftCodec(): Promise<ThriftCodec> {
    this.codec ??= import('../protocol/index.js').then((codec) => (this.loadedCodec = codec));
    return this.codec;
  }

  /** TaskInfo.data as the Thrift-binary AssignedTask; a task calls it once its launch has the codec. */
  decodeAssignedTask(bytes: Uint8Array): AssignedTask {
    if (!this.loadedCodec) throw new Error('the Thrift codec is not loaded yet');
    return this.loadedCodec.decodeStruct<AssignedTask>('binary', 'AssignedTask', bytes);
  }

  /** Keeps a subscription open until the executor exits. */
  private async subscribeLoop(): Promise<void> {
    let disconnectedAt: number | undefined;
    let backoff = FIRST_BACKOFF_MS;
    while (!this.exit) {
      let failure: string;
      try {
        const answer = await this.connection.subscribe(this.subscribeCall(), (event) => this.onEvent(event));
        if (this.exit) return;
        if (answer.status === 200) failure = 'the agent closed the subscription';
        else if (answer.status === 503) failure = `the agent is recovering (503 ${answer.text})`;
        else return this.finish(1, `SUBSCRIBE refused by the agent: ${answer.status} ${answer.text}`.trim());
      } catch (error) {
        if (this.exit) return;
        failure = `cannot reach the agent at ${this.env.agentEndpoint}: ${(error as Error).message}`;
      }
      const wasSubscribed = this.subscribed;
      this.subscribed = false;
      const limit = this.env.checkpoint ? this.env.recoveryTimeoutMs : this.env.shutdownGraceMs;
      if (wasSubscribed) {
        disconnectedAt = Date.now();
        backoff = FIRST_BACKOFF_MS;
        if (!this.env.checkpoint) return this.disconnectedWithoutCheckpoint(failure);
        this.log(`disconnected (${failure}); re-subscribing for up to ${limit} ms`);
      } else if (disconnectedAt === undefined) {
        disconnectedAt = Date.now();
        this.log(`cannot subscribe (${failure}); retrying for up to ${limit} ms`);
      }
      if (Date.now() - disconnectedAt >= limit) {
        const setting = this.env.checkpoint ? 'MESOS_RECOVERY_TIMEOUT' : 'the shutdown grace period';
        return this.shutdownTasks(1, `could not subscribe within ${setting} (${limit} ms): ${failure}`);
      }
      // Random in [backoff/2, backoff], doubling up to MESOS_SUBSCRIPTION_BACKOFF_MAX.
      await this.sleep(backoff * (0.5 + Math.random() / 2));
      backoff = Math.min(backoff * 2, this.env.subscriptionBackoffMaxMs);
    }
  }

  /** Mesos' executor library shuts an executor down when it loses an agent that does not checkpoint. */
  private disconnectedWithoutCheckpoint(failure: string): Promise<void> {
    return this.shutdownTasks(1, `disconnected from the agent without checkpointing (MESOS_CHECKPOINT is not 1): ${failure}`);
  }

  private subscribeCall(): MesosJson {
    const updates: MesosJson[] = [];
    for (const update of this.pending.values()) {
      update.inSubscribe = true;
      updates.push({ status: update.status });
    }
    // Tasks the agent has heard nothing acknowledged about yet.
    const tasks = [...this.tasks.values()].filter((t) => !t.acknowledgedOnce).map((t) => t.info as MesosJson);
    return { ...this.ids(), type: 'SUBSCRIBE', subscribe: { unacknowledged_tasks: tasks, unacknowledged_updates: updates } };
  }

  private ids(): MesosJson {
    return { executor_id: { value: this.env.executorId }, framework_id: { value: this.env.frameworkId } };
  }

  private onEvent(event: MesosJson): void {
    switch (event.type) {
      case 'SUBSCRIBED':
        this.subscribed = true;
        this.log(`subscribed to the agent at ${this.env.agentEndpoint} in ${this.media}`);
        // What the SUBSCRIBE did not carry (sent while it was in flight) goes now.
        for (const [uuid, update] of this.pending) {
          if (!update.inSubscribe) this.post(uuid, update);
          update.inSubscribe = false;
        }
        return;
      case 'LAUNCH':
        return this.launch((event.launch as MesosJson).task as TaskInfo);
      case 'KILL': {
        const kill = event.kill as MesosJson;
        const taskId = String((kill.task_id as MesosJson).value);
        const task = this.tasks.get(taskId);
        if (!task) return this.log(`KILL for unknown task ${taskId}`);
        const grace = nanosToMs((kill.kill_policy as MesosJson | undefined)?.grace_period);
        return void task.kill(this.handler, grace);
      }
      case 'ACKNOWLEDGED':
        return this.acknowledged(event.acknowledged as MesosJson);
      case 'MESSAGE': {
        const data = Buffer.from(String((event.message as MesosJson).data ?? ''), 'base64');
        return void this.guard('message', () => this.handler.message?.(new Uint8Array(data)));
      }
      case 'SHUTDOWN':
        return void this.shutdown();
      case 'ERROR':
        return this.log(`the agent reports an error: ${String((event.error as MesosJson | undefined)?.message ?? '')}`);
      case 'HEARTBEAT':
        return;
      default:
        return this.log(`ignoring event ${String(event.type)}`);
    }
  }

  private launch(info: TaskInfo): void {
    const taskId = info.task_id.value;
    if (this.tasks.has(taskId)) return this.log(`LAUNCH of task ${taskId} again ignored`);
    if (this.shuttingDown) return;
    const task = new ExecutorTask(this, info);
    this.tasks.set(taskId, task);
    this.log(`launching task ${taskId}`);
    void task.launch(this.handler);
  }

  /** Sends a status update; resolves once the agent acknowledges it. */
  sendUpdate(taskId: string, status: MesosJson): Promise<void> {
    // A version 4 UUID's 16 bytes, as Mesos' validation wants them (Web Crypto: no import at start-up).
    const uuidBytes = Buffer.from(globalThis.crypto.randomUUID().replaceAll('-', ''), 'hex');
    const uuid = uuidBytes.toString('base64');
    const full: MesosJson = {
      task_id: { value: taskId },
      executor_id: { value: this.env.executorId },
      source: 'SOURCE_EXECUTOR',
      timestamp: Date.now() / 1000,
      uuid,
      ...status,
    };
    return new Promise((resolve) => {
      const update: PendingUpdate = { taskId, status: full, acknowledged: resolve, inSubscribe: false };
      this.pending.set(uuid, update);
      if (this.subscribed) this.post(uuid, update);
    });
  }

  private post(uuid: string, update: PendingUpdate): void {
    const what = `UPDATE ${String(update.status.state)} of task ${update.taskId}`;
    // A failure the agent may get over (no answer, 5xx) is retried while subscribed; any update still
    // unacknowledged also travels in the next SUBSCRIBE.
    const retry = (): void =>
      void this.sleep(UPDATE_RETRY_MS).then(() => {
        if (this.pending.has(uuid) && this.subscribed && !update.inSubscribe) this.post(uuid, update);
      });
    this.connection.call({ ...this.ids(), type: 'UPDATE', update: { status: update.status } }).then(
      (answer) => {
        if (answer.status === 202 || !this.pending.has(uuid)) return;
        this.log(`${what} not taken (${answer.status} ${answer.text})`);
        if (answer.status >= 500) retry();
      },
      (error: Error) => {
        this.log(`${what} not sent (${error.message})`);
        retry();
      },
    );
  }

  private acknowledged(ack: MesosJson): void {
    const uuid = String(ack.uuid);
    const update = this.pending.get(uuid);
    if (!update) return;
    this.pending.delete(uuid);
    this.tasks.get(update.taskId)?.markAcknowledged();
    update.acknowledged();
    this.exitIfAllEnded();
  }

  /** Exit 0 once every task has ended and the agent has every update. */
  exitIfAllEnded(): void {
    if (this.exit || this.shuttingDown || this.tasks.size === 0 || this.pending.size > 0) return;
    for (const task of this.tasks.values()) if (!task.ended) return;
    this.finish(0, 'every task has ended');
  }

  private async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.log('SHUTDOWN from the agent');
    await this.guard('shutdown', () => this.handler.shutdown?.());
    await this.shutdownTasks(0, 'shut down by the agent');
  }

  /**
   * Kills every live task (TASK_KILLED each) and exits, after the agent has acknowledged them (while
   * subscribed) or within the shutdown grace, after which the agent kills the executor anyway.
   */
  private async shutdownTasks(code: number, reason: string): Promise<void> {
    if (this.shuttingDown || this.exit) return;
    this.shuttingDown = true;
    // Leave time to report before the agent's own kill at the end of its grace period.
    const grace = Math.max(0, this.env.shutdownGraceMs - 1_000);
    const live = [...this.tasks.values()].filter((t) => !t.ended);
    const reported = Promise.all(live.map((task) => task.shutdown(grace)));
    if (this.subscribed) await Promise.race([reported, this.sleep(this.env.shutdownGraceMs)]);
    else await Promise.all(live.map((task) => task.killRunning(grace)));
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.exit) return;
    this.exit = { code, reason };
    this.log(`exiting (${code}): ${reason}`);
    for (const timer of this.timers) clearTimeout(timer);
    this.connection.close();
    this.settle(this.exit);
  }

  /** Runs a handler method; a throw is logged, not fatal, and its message returned. */
  async guard(what: string, run: () => unknown): Promise<string | undefined> {
    try {
      await run();
      return undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log(`${what} handler failed: ${message}`);
      return message;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

export function nanosToMs(duration: unknown): number | undefined {
  const nanos = (duration as MesosJson | undefined)?.nanoseconds;
  return typeof nanos === 'number' ? nanos / 1e6 : undefined;
}

export function mediaOf(contentType: string | undefined): MediaType {
  return contentType === APPLICATION_JSON ? APPLICATION_JSON : APPLICATION_PROTOBUF;
}
