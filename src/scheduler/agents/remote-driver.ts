/**
 * The agent driver of `--agent-processes`: every agent's tasks run under that agent's own process
 * (agent-process.ts), which this driver starts when none runs, and talks to over its socket. The
 * agents outlive the scheduler; a restarted scheduler connects to them again and asks each for the
 * tasks it stored (Aurora's explicit reconciliation): running, ended (with their exit), or unknown.
 * An agent whose connection drops is started again and asked for the tasks it had; its tasks never
 * stopped running meanwhile.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdoptSpec, LaunchHooks, LaunchSpec, ProcessIdentity, RunningTask, TaskOutcome } from '../runner/index.js';
import { LocalAgentDriver, type AgentDriver } from './driver.js';
import { agentDir, readLines, send, SOCKET_FILE, toWire, type FromAgent, type ToAgent } from './agent-wire.js';

export interface RemoteAgentOptions {
  stateDir: string;
  hosts: readonly string[];
  /** The agent's entry script (default: agent-main.js beside this module, built). */
  mainScript?: string;
  /** How long an agent may take to listen once started (default 10 s). */
  startTimeoutMs?: number;
  /**
   * Mesos' `--agent_ping_timeout` (default 15 s) and `--max_agent_ping_timeouts` (default 5): an agent
   * that answers none of that many pings in a row (stopped, or down and failing to start again) is
   * marked unreachable; its tasks become LOST ("Agent HOST removed: health check timed out").
   */
  pingTimeoutMs?: number;
  maxPingTimeouts?: number;
  /**
   * Resolves once the scheduler's state holds what it did with the task ends it has been told of: only
   * then does the agent forget an ended task (its exit is what a restarted scheduler would ask for).
   */
  persist?: () => Promise<void>;
  /** Called when an agent is marked unreachable, and when it answers again. */
  onReachable?: (host: string, reachable: boolean) => void;
  /**
   * Aurora's `-partition_aware`: asked for each task of an agent marked unreachable. True: the task is
   * PARTITIONED and stays with its agent (no LOST outcome); false: it becomes LOST as without it.
   */
  onPartitioned?: (taskId: string, message: string) => boolean;
  /**
   * Asked for each partitioned task when its agent answers again. True: the scheduler takes it back
   * (PARTITIONED → RUNNING); false: it gave up on the task (LOST and rescheduled), which is killed.
   */
  onReconnected?: (taskId: string) => boolean;
  onLog?: (line: string) => void;
}

export function agentMainScript(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (here.endsWith('.js')) return path.join(dir, 'agent-main.js');
  return path.resolve(dir, '../../../dist/scheduler/agents/agent-main.js');
}

export class RemoteAgentDriver implements AgentDriver {
  private readonly local = new LocalAgentDriver();
  private readonly links = new Map<string, AgentLink>();
  /** Exits the agents kept for tasks that ended while no scheduler watched, by sandbox. */
  private readonly ended = new Map<string, TaskOutcome>();

  constructor(options: RemoteAgentOptions) {
    for (const host of options.hosts) this.links.set(host, new AgentLink(host, agentDir(options.stateDir, host), options));
  }

  /** Connects to every agent, starting those that do not run. */
  async start(): Promise<void> {
    await Promise.all([...this.links.values()].map((link) => link.open()));
  }

  /** The pid of the agent process serving `host`, once connected. */
  agentPid(host: string): number | undefined {
    return this.links.get(host)?.pid;
  }

  launch(spec: LaunchSpec, hooks: LaunchHooks): RunningTask {
    const link = spec.host === undefined ? undefined : this.links.get(spec.host);
    const task = new RemoteTask(spec.taskId, spec.sandboxDir, spec.killGraceMs, spec.command.value, hooks, link);
    if (!link) task.apply({ op: 'UPDATE', taskId: spec.taskId, state: 'ENDED', outcome: { state: 'FAILED', message: `Failed to launch: no agent runs for host ${spec.host ?? '(none)'}` } });
    else link.launch(task, spec);
    return task;
  }

  async adopt(spec: AdoptSpec): Promise<RunningTask | undefined> {
    const link = spec.host === undefined ? undefined : this.links.get(spec.host);
    if (!link) return undefined;
    const task = new RemoteTask(spec.taskId, spec.sandboxDir, spec.killGraceMs, spec.command ?? '', {}, link, spec.identity);
    const answer = await link.adopt(task);
    if (answer.state === 'RUNNING' || answer.state === 'SPAWNED') return task;
    if (answer.outcome) this.ended.set(spec.sandboxDir, answer.outcome);
    return undefined;
  }

  async recordedOutcome(sandboxDir: string): Promise<TaskOutcome | undefined> {
    const kept = this.ended.get(sandboxDir);
    this.ended.delete(sandboxDir);
    return kept ?? this.local.recordedOutcome(sandboxDir);
  }

  async killOrphans(sandboxRoot: string, keep: (taskId: string) => boolean): Promise<void> {
    // Each agent kills the tasks it runs that the scheduler does not know, as a Mesos agent does when its master does not.
    for (const link of this.links.values()) link.send({ op: 'PRUNE', keep: link.taskIds().filter(keep) });
    await this.local.killOrphans(sandboxRoot, keep);
  }

  killNowSync(pids: readonly number[]): void {
    this.local.killNowSync(pids);
  }

  freePorts(count: number): Promise<number[]> {
    return this.local.freePorts(count);
  }

  /** Disconnects; `stopAgents` also stops the agent processes (tasks they run go on under their owners). */
  async close(stopAgents: boolean): Promise<void> {
    await Promise.all([...this.links.values()].map((link) => link.close(stopAgents)));
  }
}

/** The connection to one agent process, started again whenever it drops. */
class AgentLink {
  private socket: Socket | undefined;
  private readonly tasks = new Map<string, RemoteTask>();
  private readonly adopting = new Map<string, (update: Extract<FromAgent, { op: 'UPDATE' }>) => void>();
  private readonly queue: ToAgent[] = [];
  private closed = false;
  private reopening: Promise<void> | undefined;
  private readonly pinger: NodeJS.Timeout;
  private ponged = true;
  private missed = 0;
  private unreachable = false;
  /** The tasks the scheduler took as PARTITIONED while the agent was unreachable. */
  private readonly partitioned = new Set<string>();
  pid: number | undefined;

  constructor(
    readonly host: string,
    private readonly dir: string,
    private readonly options: RemoteAgentOptions,
  ) {
    this.pinger = setInterval(() => this.ping(), options.pingTimeoutMs ?? 15_000);
    this.pinger.unref();
  }

  /** One ping period: a ping unanswered (or no connection at all) counts against the agent. */
  private ping(): void {
    if (this.ponged && this.socket) this.missed = 0;
    else this.missed++;
    this.ponged = false;
    if (this.socket) send(this.socket, { op: 'PING' });
    if (this.unreachable || this.missed < (this.options.maxPingTimeouts ?? 5)) return;
    this.unreachable = true;
    this.options.onLog?.(`agent ${this.host}: marked unreachable after ${this.missed} ping timeouts`);
    const message = `Agent ${this.host} removed: health check timed out`;
    for (const task of [...this.tasks.values()]) {
      if (this.options.onPartitioned?.(task.taskId, message)) {
        this.partitioned.add(task.taskId);
        continue;
      }
      this.tasks.delete(task.taskId);
      task.apply({ op: 'UPDATE', taskId: task.taskId, state: 'ENDED', outcome: { state: 'LOST', message } });
    }
    this.options.onReachable?.(this.host, false);
  }

  /**
   * The agent answers again: the tasks it still runs that the scheduler took for LOST are killed (as
   * Aurora kills a task it believes terminated); partitioned tasks the scheduler takes back run on.
   */
  private reachableAgain(): void {
    this.unreachable = false;
    this.missed = 0;
    this.options.onLog?.(`agent ${this.host}: reachable again`);
    this.send({ op: 'PRUNE', keep: this.taskIds() });
    const partitioned = [...this.partitioned];
    this.partitioned.clear();
    for (const taskId of partitioned) {
      if (!this.tasks.has(taskId) || this.options.onReconnected?.(taskId) !== false) continue;
      this.send({ op: 'KILL', taskId, reason: 'Task partitioned for too long.' });
    }
    this.options.onReachable?.(this.host, true);
  }

  taskIds(): string[] {
    return [...this.tasks.keys()];
  }

  async open(): Promise<void> {
    const socketPath = path.join(this.dir, SOCKET_FILE);
    let socket = await tryConnect(socketPath);
    if (!socket) {
      this.spawnAgent();
      const deadline = Date.now() + (this.options.startTimeoutMs ?? 10_000);
      while (!socket && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        socket = await tryConnect(socketPath);
      }
      if (!socket) throw new Error(`the agent process for ${this.host} did not start (see ${path.join(this.dir, 'agent.log')})`);
    }
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.pid = undefined;
      if (!this.closed) this.reopen();
    });
    readLines<FromAgent>(socket, (message) => this.receive(message));
    send(socket, { op: 'PING' });
    // What the agent must say again: the tasks it had (a restarted agent took them over from its records).
    for (const task of this.tasks.values()) if (task.sent) send(socket, { op: 'ADOPT', spec: task.adoptSpec() });
    for (const message of this.queue.splice(0)) {
      if (message.op === 'LAUNCH') this.tasks.get(message.spec.taskId)!.sent = true;
      send(socket, message);
    }
  }

  private reopen(): void {
    this.options.onLog?.(`agent ${this.host}: connection lost; starting it again`);
    this.reopening ??= (async () => {
      while (!this.closed && !this.socket) {
        try {
          await this.open();
        } catch (error) {
          this.options.onLog?.(`agent ${this.host}: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    })().finally(() => (this.reopening = undefined));
  }

  private spawnAgent(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const script = this.options.mainScript ?? agentMainScript();
    if (!existsSync(script)) throw new Error(`the agent process is not built (looked for ${script}); run \`npm run build\``);
    const log = openSync(path.join(this.dir, 'agent.log'), 'a', 0o600);
    try {
      const child = spawn(process.execPath, [script, this.dir], { detached: true, stdio: ['ignore', log, log], cwd: this.dir });
      child.unref();
    } finally {
      closeSync(log);
    }
  }

  send(message: ToAgent): void {
    if (this.socket) send(this.socket, message);
    else this.queue.push(message);
  }

  launch(task: RemoteTask, spec: LaunchSpec): void {
    this.tasks.set(task.taskId, task);
    task.sent = this.socket !== undefined;
    this.send({ op: 'LAUNCH', spec: toWire(spec) });
  }

  adopt(task: RemoteTask): Promise<Extract<FromAgent, { op: 'UPDATE' }>> {
    return new Promise((resolve) => {
      this.adopting.set(task.taskId, (update) => {
        if (update.state === 'RUNNING' || update.state === 'SPAWNED') this.tasks.set(task.taskId, task);
        else if (update.state === 'ENDED') this.forget(task.taskId);
        task.apply(update);
        resolve(update);
      });
      this.send({ op: 'ADOPT', spec: task.adoptSpec() });
    });
  }

  private forget(taskId: string): void {
    void (this.options.persist?.() ?? Promise.resolve()).then(
      () => this.send({ op: 'FORGET', taskId }),
      () => undefined,
    );
  }

  private receive(message: FromAgent): void {
    if (message.op === 'PONG') {
      this.pid = message.pid;
      this.ponged = true;
      if (this.unreachable) this.reachableAgain();
      return;
    }
    const adopting = this.adopting.get(message.taskId);
    if (adopting) {
      this.adopting.delete(message.taskId);
      adopting(message);
      return;
    }
    const task = this.tasks.get(message.taskId);
    if (!task) return;
    task.apply(message);
    if (message.state === 'ENDED' || message.state === 'UNKNOWN') {
      this.tasks.delete(message.taskId);
      this.partitioned.delete(message.taskId);
      if (message.state === 'ENDED') this.forget(message.taskId);
    }
  }

  async close(stopAgent: boolean): Promise<void> {
    this.closed = true;
    clearInterval(this.pinger);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    if (stopAgent) send(socket, { op: 'SHUTDOWN' });
    await new Promise<void>((resolve) => socket.end(resolve));
  }
}

/** A task as the scheduler sees it: the states its agent reports. */
class RemoteTask implements RunningTask {
  readonly started: Promise<void>;
  readonly done: Promise<TaskOutcome>;
  /** The LAUNCH reached the agent (until then, a reconnecting link has nothing to ask about). */
  sent = true;
  private settle!: (outcome: TaskOutcome) => void;
  private resolveStarted!: () => void;
  private rejectStarted!: (error: Error) => void;
  private settled = false;

  constructor(
    readonly taskId: string,
    private readonly sandboxDir: string,
    private readonly killGraceMs: number | undefined,
    private readonly command: string,
    private readonly hooks: LaunchHooks,
    private readonly link: AgentLink | undefined,
    public identity: ProcessIdentity | undefined = undefined,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.identity?.pid;
  }

  adoptSpec(): AdoptSpec {
    return { taskId: this.taskId, sandboxDir: this.sandboxDir, identity: this.identity!, killGraceMs: this.killGraceMs, command: this.command };
  }

  apply(update: Extract<FromAgent, { op: 'UPDATE' }>): void {
    if (this.settled) return;
    if (update.identity) this.identity = update.identity;
    switch (update.state) {
      case 'STARTING':
        this.hooks.onStarting?.();
        break;
      case 'SPAWNED':
        this.hooks.onSpawned?.();
        break;
      case 'RUNNING':
        this.hooks.onRunning?.(this.identity?.pid ?? 0, update.message);
        this.resolveStarted();
        break;
      case 'ENDED':
      case 'UNKNOWN': {
        const outcome = update.outcome ?? { state: 'LOST' as const, message: `Agent ${this.link?.host ?? ''} has no record of the task` };
        this.settled = true;
        this.rejectStarted(new Error(outcome.message));
        this.settle(outcome);
        break;
      }
    }
  }

  kill(reason = 'Killed by request'): Promise<TaskOutcome> {
    this.link?.send({ op: 'KILL', taskId: this.taskId, reason });
    return this.done;
  }

  detach(): void {
    // The agent keeps watching the task.
  }
}

function tryConnect(socketPath: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(undefined));
  });
}
