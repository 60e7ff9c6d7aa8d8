/**
 * An agent process (`--agent-processes`): one per agent of a scheduler with a state directory, as a
 * Mesos agent is one per machine. It starts its tasks through the task runner (each under its own
 * owner, which outlives the agent and records the exit), watches them, and reports their states to
 * the scheduler connected to its socket. It outlives the scheduler; killed (even with SIGKILL), its
 * tasks run on, and an agent restarted on the same directory takes them over again by pid and start
 * time from `tasks/<id>.json`, or reads the exit their owner recorded meanwhile. With no scheduler
 * connected and no task running it exits (the next scheduler starts it again).
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { adoptTask, recordedOutcome, type AdoptSpec, type RunningTask, type TaskOutcome } from '../runner/index.js';
import { LocalAgentDriver } from './driver.js';
import { fromWire, readLines, send, SOCKET_FILE, type AgentTaskState, type FromAgent, type ToAgent } from './agent-wire.js';

interface AgentTask {
  spec: Partial<AdoptSpec> & { taskId: string; sandboxDir: string };
  state: AgentTaskState;
  process?: RunningTask;
  outcome?: TaskOutcome;
  message?: string;
  /** Killed because the scheduler does not know it: nobody will ask for its exit. */
  pruned?: boolean;
}

/** Runs the agent whose directory is `dir` until SHUTDOWN; resolves once it listens. */
export async function runAgent(dir: string): Promise<void> {
  const tasksDir = join(dir, 'tasks');
  mkdirSync(tasksDir, { recursive: true, mode: 0o700 });
  const local = new LocalAgentDriver();
  const tasks = new Map<string, AgentTask>();
  let client: Socket | undefined;

  const fileOf = (taskId: string) => join(tasksDir, `${encodeURIComponent(taskId)}.json`);
  function store(task: AgentTask): void {
    const file = fileOf(task.spec.taskId);
    writeFileSync(`${file}.tmp`, JSON.stringify({ spec: task.spec, outcome: task.outcome }), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  function report(task: AgentTask): void {
    const update: FromAgent = { op: 'UPDATE', taskId: task.spec.taskId, state: task.state };
    if (task.spec.identity) update.identity = task.spec.identity;
    if (task.message !== undefined) update.message = task.message;
    if (task.outcome) update.outcome = task.outcome;
    send(client, update);
  }
  function watch(task: AgentTask, process: RunningTask): void {
    task.process = process;
    void process.done.then((outcome) => {
      task.process = undefined;
      task.state = 'ENDED';
      task.outcome = outcome;
      if (task.pruned) forget(task.spec.taskId);
      else {
        store(task);
        report(task);
      }
      exitWhenIdle();
    });
  }
  function launch(message: Extract<ToAgent, { op: 'LAUNCH' }>): void {
    // The owner must outlive this process: that is what lets a restarted agent take the task over.
    const spec = { ...fromWire(message.spec), supervised: true };
    const task: AgentTask = { spec: { taskId: spec.taskId, sandboxDir: spec.sandboxDir, killGraceMs: spec.killGraceMs, command: spec.command.value }, state: 'STARTING' };
    tasks.set(spec.taskId, task);
    const identified = (state: AgentTaskState, message?: string) => {
      if (task.state === 'ENDED') return;
      task.state = state;
      task.message = message;
      if (task.process?.identity) task.spec.identity = task.process.identity;
      if (task.spec.identity) store(task);
      report(task);
    };
    try {
      watch(
        task,
        local.launch(spec, {
          onStarting: () => report(task),
          onSpawned: () => identified('SPAWNED'),
          onRunning: (_pid, message) => identified('RUNNING', message),
        }),
      );
    } catch (error) {
      task.state = 'ENDED';
      task.outcome = { state: 'FAILED', message: `Failed to launch: ${(error as Error).message}` };
      report(task);
    }
  }
  /** A task this agent does not watch: its owner by the identity given, or the exit it recorded. */
  async function takeOver(spec: AgentTask['spec']): Promise<AgentTask> {
    const task: AgentTask = { spec, state: 'UNKNOWN' };
    const process = spec.identity ? await adoptTask(spec as AdoptSpec) : undefined;
    if (process) {
      task.state = 'RUNNING';
      watch(task, process);
    } else {
      task.outcome = await recordedOutcome(spec.sandboxDir);
      if (task.outcome) task.state = 'ENDED';
    }
    return task;
  }
  async function adopt(spec: AgentTask['spec']): Promise<void> {
    let task = tasks.get(spec.taskId);
    if (!task) {
      task = await takeOver(spec);
      if (tasks.has(spec.taskId)) task = tasks.get(spec.taskId)!;
      else if (task.state !== 'UNKNOWN') {
        tasks.set(spec.taskId, task);
        store(task);
      }
    }
    report(task);
  }
  /** No scheduler and no live task: nothing for this agent to do (the next scheduler starts one again). */
  function exitWhenIdle(): void {
    if (client || [...tasks.values()].some((t) => t.process)) return;
    server.close();
    rmSync(join(dir, SOCKET_FILE), { force: true });
    process.exit(0);
  }
  function forget(taskId: string): void {
    tasks.delete(taskId);
    rmSync(fileOf(taskId), { force: true });
  }
  function handle(message: ToAgent, socket: Socket): void {
    switch (message.op) {
      case 'LAUNCH':
        launch(message);
        break;
      case 'ADOPT':
        void adopt(message.spec);
        break;
      case 'KILL': {
        const task = tasks.get(message.taskId);
        if (task?.process) void task.process.kill(message.reason);
        else if (task) report(task);
        else send(client, { op: 'UPDATE', taskId: message.taskId, state: 'UNKNOWN' });
        break;
      }
      case 'FORGET':
        if (tasks.get(message.taskId)?.state === 'ENDED') forget(message.taskId);
        break;
      case 'PRUNE': {
        const keep = new Set(message.keep);
        for (const [taskId, task] of tasks) {
          if (keep.has(taskId)) continue;
          task.pruned = true;
          if (task.process) void task.process.kill('Killed: unknown to the scheduler');
          else forget(taskId);
        }
        break;
      }
      case 'PING':
        send(socket, { op: 'PONG', pid: process.pid });
        break;
      case 'SHUTDOWN':
        // Tasks still running keep running under their owners, for an agent started later.
        server.close();
        rmSync(join(dir, SOCKET_FILE), { force: true });
        socket.end(() => process.exit(0));
        break;
    }
  }

  // The tasks an earlier agent on this directory watched: taken over before anyone can ask.
  for (const name of readdirSync(tasksDir).filter((n) => n.endsWith('.json'))) {
    let saved: { spec: AgentTask['spec']; outcome?: TaskOutcome };
    try {
      saved = JSON.parse(readFileSync(join(tasksDir, name), 'utf8')) as typeof saved;
    } catch {
      continue;
    }
    const task = saved.outcome ? { spec: saved.spec, state: 'ENDED' as const, outcome: saved.outcome } : await takeOver(saved.spec);
    tasks.set(saved.spec.taskId, task);
    if (task.state === 'UNKNOWN') continue;
    store(task);
  }

  const socketPath = join(dir, SOCKET_FILE);
  rmSync(socketPath, { force: true });
  const server = createServer((socket) => {
    // One scheduler at a time: the latest to connect (a restarted one) gets the updates.
    client?.destroy();
    client = socket;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (client !== socket) return;
      client = undefined;
      exitWhenIdle();
    });
    readLines<ToAgent>(socket, (message) => handle(message, socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  writeFileSync(join(dir, 'agent.pid'), `${process.pid}\n`);
}
