/**
 * A task's sandbox files (its stdout and stderr, a Thermos process's logs, anything it wrote), read
 * from wherever the task ran:
 *
 * - the aurora-ts local scheduler serves them itself: `GET <scheduler>/sandbox/<taskId>/<file>?offset=&length=`;
 * - on Aurora on Mesos they live on the Mesos agent that ran the task (`assignedTask.slaveHost`), whose
 *   files API reads them: `GET http://<agent>:5051/files/read?path=&offset=&length=`, answered
 *   `{"data": "...", "offset": N}`, at most 64 KiB a read (16 pages), `offset=-1` giving the size. The
 *   path is the executor's virtual sandbox `/frameworks/<framework>/executors/<executor>/runs/latest`,
 *   the executor id being the executor's `task_prefix` + the task id and both ids found in the
 *   agent's `/state`.
 *
 * This is what lets `aurora-ts task logs` read a custom executor's output on a real cluster, which
 * Aurora's own client cannot do. Nothing here prints; every failure is an AuroraError.
 */
import { AuroraAbortError, AuroraAuthError, AuroraHttpError, AuroraProtocolError, AuroraValidationError } from '../errors.js';
import { ACTIVE_STATES, ScheduleStatus, type AssignedTask, type ScheduledTask } from '../gen/types.js';
import { loadNetrcSync, netrcCredentials, type Credentials, type Netrc } from '../discovery/netrc.js';
import type { Cluster } from '../discovery/clusters.js';
import { loadExecutorConfig } from '../executors/parse.js';
import { THERMOS_EXECUTOR_NAME } from '../executors/types.js';
import { createHttpTransport } from '../transport/http.js';
import { bodySnippet } from '../transport/failures.js';
import type { FetchLike, GetReply, TlsOptions, Transport } from '../transport/types.js';
import type { AuroraClient } from './client.js';

/** Where files are read from: `auto` asks the scheduler first and reads the agent when it is a real Aurora. */
export type TaskFileSource = 'auto' | 'scheduler' | 'agent';

export interface TaskFilesOptions {
  /** Default `auto`: the local scheduler's sandbox endpoint when it has one, else the task's Mesos agent. */
  source?: TaskFileSource;
  /** The client's cluster: its `agent_port` and its custom executors' `task_prefix`es. */
  cluster?: Cluster;
  /** Port of the Mesos agents' HTTP API. Default `cluster.agentPort`, else 5051. */
  agentPort?: number;
  /** Default `http` (Mesos agents serve https only when built with SSL and told to). */
  agentScheme?: 'http' | 'https';
  /**
   * Basic credentials for agents that authenticate HTTP reads (`--authenticate_http_readonly`). By
   * default each agent host's ~/.netrc entry; false sends none. They go only to the agent's origin.
   */
  agentAuth?: Credentials | false;
  /** A parsed netrc to take agent credentials from, or false to never read ~/.netrc. */
  netrc?: Netrc | false;
  /** The home directory holding ~/.netrc (default the user's). */
  home?: string;
  tls?: TlsOptions;
  /** Deadline of each request to an agent (default 30 000 ms); scheduler requests use the client's. */
  timeoutMs?: number;
  /** A fetch implementation for agent requests (default node:http). */
  fetch?: FetchLike;
  /** The executor's `task_prefix`, when the cluster's custom executor file is not at hand. */
  taskPrefix?: string;
}

export interface TaskFileRead {
  /** `stdout` (default), `stderr`, or a path inside the sandbox. With `process`: `stdout` or `stderr`. */
  file?: string;
  /** A Thermos process of the task: read its own log, `.logs/<process>/<run>/<file>`. */
  process?: string;
  /** With `process`: which run (default the latest; Thermos starts a new one each time it restarts the process). */
  run?: number;
  /** First byte to read (default 0); a negative offset counts from the end of the file (-4096: the last 4 KiB). */
  offset?: number;
  /** Most bytes to read (default: to the end of the file). Agents serve 64 KiB a request; longer reads take several. */
  length?: number;
  signal?: AbortSignal;
}

export interface TaskFileChunk {
  /** The path in the sandbox that was read. */
  file: string;
  /** Where `data` starts in the file. */
  offset: number;
  data: Buffer;
  /** The file's size when it was read. */
  size: number;
  /** With `process`: the run read. */
  run?: number;
}

export interface TaskFileFollow extends Omit<TaskFileRead, 'length' | 'run'> {
  /** Delay between reads when nothing new came (default 500 ms). */
  pollMs?: number;
}

/** A task as the readers take it: a ScheduledTask (as listed) or its AssignedTask. */
export type TaskRef = ScheduledTask | AssignedTask;

/** The file (or the task, or its sandbox) does not exist where the task ran. Not retryable as such: the file may appear later. */
export class TaskFileNotFoundError extends AuroraHttpError {
  readonly taskId: string;
  readonly file: string;
  /** `message` replaces the usual `<file> of task <id> is not available: <why>`. */
  constructor(taskId: string, file: string, why: string, message?: string) {
    super(404, message ?? `${file} of task ${taskId} is not available: ${why}`);
    this.taskId = taskId;
    this.file = file;
  }
}

/** Mesos caps a `/files/read` at 16 pages. */
const AGENT_READ_BYTES = 64 * 1024;
const DEFAULT_AGENT_PORT = 5051;
const SANDBOX_MARK = 'x-aurora-ts-sandbox';
/** Aurora's Thermos executor ids are `thermos-<task id>` (Aurora's ExecutorSettings). */
const THERMOS_TASK_PREFIX = 'thermos-';

/** One back end: the scheduler's sandbox endpoint or a Mesos agent. `undefined` from the scheduler: it has no such endpoint. */
interface Backend {
  /** Bytes [offset, offset + length) (fewer at the end of the file), and the file's size. */
  read(task: AssignedTask, file: string, offset: number, length: number | undefined, signal: AbortSignal | undefined): Promise<{ data: Buffer; size: number } | undefined>;
}

/**
 * Reads a task's sandbox files. One instance remembers which back end answers and where each task's
 * sandbox is on its agent, so reuse it for repeated reads (a follow does).
 */
export class TaskFiles {
  private readonly client: AuroraClient;
  private source: TaskFileSource;
  private readonly scheduler: Backend;
  private readonly agent: AgentFiles;

  constructor(client: AuroraClient, options: TaskFilesOptions = {}) {
    const source = options.source ?? 'auto';
    if (source !== 'auto' && source !== 'scheduler' && source !== 'agent') {
      throw new AuroraValidationError('source', `expected "auto", "scheduler" or "agent", got ${JSON.stringify(options.source)}`);
    }
    const port = options.agentPort ?? options.cluster?.agentPort ?? DEFAULT_AGENT_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AuroraValidationError('agentPort', `expected a port number 1-65535, got ${String(port)}`);
    if (options.agentScheme !== undefined && options.agentScheme !== 'http' && options.agentScheme !== 'https') {
      throw new AuroraValidationError('agentScheme', `expected "http" or "https", got ${JSON.stringify(options.agentScheme)}`);
    }
    this.client = client;
    this.source = source;
    this.scheduler = schedulerFiles(client.transport);
    this.agent = new AgentFiles({ ...options, agentPort: port });
  }

  /** Reads part of a file (see TaskFileRead). A missing file, task or sandbox is a TaskFileNotFoundError. */
  async read(task: TaskRef, request: TaskFileRead = {}): Promise<TaskFileChunk> {
    const assigned = assignedOf(task);
    const { file, run } = await this.resolve(assigned, request);
    const offset = checkOffset(request.offset);
    if (request.length !== undefined && (!Number.isInteger(request.length) || request.length < 0)) {
      throw new AuroraValidationError('length', `expected a whole number of bytes >= 0, got ${String(request.length)}`);
    }
    let start = offset;
    if (start < 0) start = Math.max(0, (await this.readRaw(assigned, file, 0, 0, request.signal)).size + start);
    const got = await this.readRaw(assigned, file, start, request.length, request.signal);
    return { file, offset: start, data: got.data, size: got.size, ...(run !== undefined ? { run } : {}) };
  }

  /** The file's size in bytes, or undefined when it does not exist (yet). */
  async size(task: TaskRef, request: Omit<TaskFileRead, 'offset' | 'length'> = {}): Promise<number | undefined> {
    const assigned = assignedOf(task);
    try {
      const { file } = await this.resolve(assigned, request);
      return (await this.readRaw(assigned, file, 0, 0, request.signal)).size;
    } catch (error) {
      if (error instanceof TaskFileNotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * New output of a file as it is written, chunk by chunk, until the task ends (then what it wrote
   * last, and the iteration finishes). With `process`, moves on to the process's next run as soon as
   * Thermos starts one (a chunk's `run` says which). Ends with an AuroraAbortError when `signal` aborts.
   */
  async *follow(task: TaskRef, options: TaskFileFollow = {}): AsyncGenerator<TaskFileChunk, void, undefined> {
    const assigned = assignedOf(task);
    const taskId = taskIdOf(assigned);
    const pollMs = options.pollMs ?? 500;
    if (!Number.isFinite(pollMs) || pollMs <= 0) throw new AuroraValidationError('pollMs', `expected a positive number of milliseconds, got ${String(options.pollMs)}`);
    let { file, run } = await this.resolve(assigned, options);
    let offset = checkOffset(options.offset);
    if (offset < 0) offset = Math.max(0, (await this.readRaw(assigned, file, 0, 0, options.signal)).size + offset);
    let lastStatusCheck = 0;
    const chunk = (data: Buffer, size: number, at: number): TaskFileChunk => ({ file, offset: at, data, size, ...(run !== undefined ? { run } : {}) });
    // Reads everything new of the current file; true when something came.
    const drain = async function* (this: TaskFiles): AsyncGenerator<TaskFileChunk, boolean, undefined> {
      let any = false;
      for (;;) {
        const got = await this.readRaw(assigned, file, offset, AGENT_READ_BYTES, options.signal);
        if (got.data.length === 0) return any;
        any = true;
        yield chunk(got.data, got.size, offset);
        offset += got.data.length;
      }
    };
    for (;;) {
      if (yield* drain.call(this)) continue;
      if (options.process !== undefined && run !== undefined && (await this.size(assigned, { ...options, run: run + 1 })) !== undefined) {
        // Thermos restarted the process: this run's log is complete; go on with the next.
        yield* drain.call(this);
        run += 1;
        file = processLog(options.process, run, options.file ?? 'stdout');
        offset = 0;
        continue;
      }
      if (Date.now() - lastStatusCheck >= 1_000) {
        lastStatusCheck = Date.now();
        const { tasks = [] } = await this.client.getTasksWithoutConfigs({ taskIds: [taskId] }, { signal: options.signal });
        const status = tasks[0]?.status;
        if (status === undefined || !ACTIVE_STATES.has(status)) {
          yield* drain.call(this);
          return;
        }
      }
      await pause(pollMs, options.signal);
    }
  }

  /** The sandbox path to read, and the run for a process log (its latest unless one is named). */
  private async resolve(task: AssignedTask, request: Pick<TaskFileRead, 'file' | 'process' | 'run' | 'signal'>): Promise<{ file: string; run?: number }> {
    const name = request.file ?? 'stdout';
    checkFile(name);
    if (request.process === undefined) {
      if (request.run !== undefined) throw new AuroraValidationError('run', 'a run is a Thermos process run: give process too');
      return { file: name };
    }
    if (!/^[\w.-]+$/.test(request.process)) throw new AuroraValidationError('process', `${JSON.stringify(request.process)}: a Thermos process name holds letters, digits, _ . -`);
    if (name !== 'stdout' && name !== 'stderr') throw new AuroraValidationError('file', `with a process, file is stdout or stderr (a process's own logs), got ${JSON.stringify(name)}`);
    if (request.run !== undefined) {
      if (!Number.isInteger(request.run) || request.run < 0) throw new AuroraValidationError('run', `expected a whole number >= 0, got ${String(request.run)}`);
      return { file: processLog(request.process, request.run, name), run: request.run };
    }
    // A process's runs are numbered from 0 without gaps: the latest is the last one that exists.
    const exists = async (run: number) => {
      try {
        await this.readRaw(task, processLog(request.process!, run, name), 0, 0, request.signal);
        return true;
      } catch (error) {
        if (error instanceof TaskFileNotFoundError) return false;
        throw error;
      }
    };
    if (!(await exists(0))) {
      const why = `no logs of a process ${JSON.stringify(request.process)} (yet): is it a Thermos task with that process?`;
      throw new TaskFileNotFoundError(taskIdOf(task), processLog(request.process, 0, name), why, `task ${taskIdOf(task)} has ${why}`);
    }
    let run = 0;
    while (await exists(run + 1)) run += 1;
    return { file: processLog(request.process, run, name), run };
  }

  /** One read through the back end that answers for this scheduler. */
  private async readRaw(task: AssignedTask, file: string, offset: number, length: number | undefined, signal: AbortSignal | undefined): Promise<{ data: Buffer; size: number }> {
    if (this.source !== 'agent') {
      const got = await this.scheduler.read(task, file, offset, length, signal);
      if (got !== undefined) {
        this.source = 'scheduler';
        return got;
      }
      if (this.source === 'scheduler') {
        throw new AuroraHttpError(404, `the scheduler at ${this.client.url} serves no sandbox files (it is not an aurora-ts local scheduler): read them from the task's agent (source "agent")`);
      }
      this.source = 'agent';
    }
    return this.agent.read(task, file, offset, length, signal);
  }
}

/** One read of a task's file (see TaskFiles.read). Make a TaskFiles to read several times. */
export function readTaskFile(client: AuroraClient, task: TaskRef, request: TaskFileRead & TaskFilesOptions = {}): Promise<TaskFileChunk> {
  return new TaskFiles(client, request).read(task, request);
}

/** A file's new output until the task ends (see TaskFiles.follow). */
export function followTaskFile(client: AuroraClient, task: TaskRef, options: TaskFileFollow & TaskFilesOptions = {}): AsyncGenerator<TaskFileChunk, void, undefined> {
  return new TaskFiles(client, options).follow(task, options);
}

function processLog(process: string, run: number, file: string): string {
  return `.logs/${process}/${run}/${file}`;
}

function assignedOf(task: TaskRef): AssignedTask {
  const assigned = (task as ScheduledTask).assignedTask ?? (task as AssignedTask);
  if (typeof assigned?.taskId !== 'string' || assigned.taskId === '') throw new AuroraValidationError('task', 'expected a ScheduledTask or AssignedTask with a taskId');
  return assigned;
}

function taskIdOf(task: AssignedTask): string {
  return task.taskId!;
}

function checkOffset(offset: number | undefined): number {
  if (offset === undefined) return 0;
  if (!Number.isSafeInteger(offset)) throw new AuroraValidationError('offset', `expected a whole number of bytes, got ${String(offset)}`);
  return offset;
}

/** A relative path inside the sandbox: no empty, `.` or `..` steps, no leading `/`, no NUL. */
function checkFile(file: string): void {
  const bad = typeof file !== 'string' || file === '' || file.startsWith('/') || file.includes('\0') || file.split('/').some((step) => step === '' || step === '.' || step === '..');
  if (bad) throw new AuroraValidationError('file', `${JSON.stringify(file)}: expected a path inside the sandbox like stdout or logs/app.log (no leading /, no . or .. steps)`);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(new AuroraAbortError('following a task file: aborted'));
    };
    if (signal?.aborted) {
      abort();
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/** The local scheduler's GET /sandbox/<task>/<file>; undefined when the scheduler has no such endpoint. */
function schedulerFiles(transport: Transport): Backend {
  return {
    async read(task, file, offset, length, signal) {
      if (!transport.get) return undefined;
      const taskId = taskIdOf(task);
      const query = `offset=${offset}${length !== undefined ? `&length=${length}` : ''}`;
      const path = `/sandbox/${encodeURIComponent(taskId)}/${file.split('/').map(encodeURIComponent).join('/')}?${query}`;
      let reply: GetReply;
      try {
        reply = await transport.get(path, { label: `read ${file} of ${taskId}`, accept: 'application/octet-stream, text/plain', signal });
      } catch (error) {
        // The local scheduler serves sandboxes without credentials: a scheduler that asks for them is another one.
        if (error instanceof AuroraAuthError) return undefined;
        throw error;
      }
      if (reply.headers.get(SANDBOX_MARK) === null) return undefined;
      const text = () => reply.body.toString('utf8').trim();
      if (reply.status === 200) {
        const size = Number(reply.headers.get('x-file-size'));
        return { data: reply.body, size: Number.isSafeInteger(size) ? size : offset + reply.body.length };
      }
      if (reply.status === 404 || reply.status === 403) throw new TaskFileNotFoundError(taskId, file, text());
      if (reply.status === 400) throw new AuroraValidationError('file', text());
      throw unexpected(reply, `read ${file} of ${taskId}`);
    },
  };
}

function unexpected(reply: GetReply, what: string): AuroraHttpError {
  const snippet = bodySnippet(reply.body, []);
  return new AuroraHttpError(reply.status, `${what}: HTTP ${reply.status} from ${reply.url}${snippet ? `: ${snippet}` : ''}`);
}

/** Where a task's sandbox is on its agent: the executor's virtual path. */
interface SandboxLocation {
  frameworkId: string;
  executorId: string;
  path: string;
}

/** The Mesos agents' files API, one transport per agent origin. */
class AgentFiles implements Backend {
  private readonly transports = new Map<string, Transport>();
  private readonly sandboxes = new Map<string, SandboxLocation>();
  private netrc: Netrc | undefined | null = null;
  private prefixes: Promise<Map<string, string>> | undefined;

  constructor(private readonly options: TaskFilesOptions & { agentPort: number }) {}

  async read(task: AssignedTask, file: string, offset: number, length: number | undefined, signal: AbortSignal | undefined): Promise<{ data: Buffer; size: number }> {
    const agent = this.transportFor(task);
    const sandbox = await this.locate(agent, task, signal);
    const path = `${sandbox.path}/${file}`;
    const label = `read ${file} of ${taskIdOf(task)}`;
    // offset=-1 answers the size without data (the Mesos web UI's pailer asks this way).
    const size = (await this.filesRead(agent, path, -1, undefined, label, task, file, signal)).offset;
    const chunks: Buffer[] = [];
    let at = Math.min(offset, size);
    const end = length === undefined ? size : Math.min(size, at + length);
    while (at < end) {
      const got = await this.filesRead(agent, path, at, Math.min(AGENT_READ_BYTES, end - at), label, task, file, signal);
      if (got.data.length === 0) break; // the file shrank meanwhile
      chunks.push(got.data);
      at += got.data.length;
    }
    return { data: Buffer.concat(chunks), size };
  }

  private async filesRead(
    agent: Transport,
    path: string,
    offset: number,
    length: number | undefined,
    label: string,
    task: AssignedTask,
    file: string,
    signal: AbortSignal | undefined,
  ): Promise<{ offset: number; data: Buffer }> {
    const query = new URLSearchParams({ path, offset: String(offset), ...(length !== undefined ? { length: String(length) } : {}) });
    const reply = await agent.get!(`/files/read?${query}`, { label, accept: 'application/json', signal });
    if (reply.status === 404) {
      throw new TaskFileNotFoundError(taskIdOf(task), file, `the Mesos agent at ${new URL(reply.url).host} has no such file in the task's sandbox`);
    }
    if (reply.status === 400) throw new AuroraValidationError('file', `${file}: the Mesos agent refused the read: ${bodySnippet(reply.body, [])}`);
    if (reply.status !== 200) throw unexpected(reply, label);
    return decodeRead(reply, label);
  }

  /** The task's sandbox on its agent, from the agent's /state: the framework and executor that ran it. */
  private async locate(agent: Transport, task: AssignedTask, signal: AbortSignal | undefined): Promise<SandboxLocation> {
    const taskId = taskIdOf(task);
    const known = this.sandboxes.get(taskId);
    if (known) return known;
    const prefix = await this.taskPrefix(task);
    const wanted = prefix === undefined ? undefined : `${prefix}${taskId}`;
    const reply = await agent.get!('/state', { label: `find the sandbox of ${taskId}`, accept: 'application/json', signal });
    if (reply.status !== 200) throw unexpected(reply, `find the sandbox of ${taskId}`);
    let state: AgentState;
    try {
      state = JSON.parse(reply.body.toString('utf8')) as AgentState;
    } catch {
      throw new AuroraProtocolError(`find the sandbox of ${taskId}: the Mesos agent's /state at ${reply.url} is not JSON`);
    }
    for (const framework of [...(state.frameworks ?? []), ...(state.completed_frameworks ?? [])]) {
      for (const executor of [...(framework.executors ?? []), ...(framework.completed_executors ?? [])]) {
        const runs = [...(executor.tasks ?? []), ...(executor.queued_tasks ?? []), ...(executor.completed_tasks ?? [])];
        if (executor.id === wanted || runs.some((t) => t.id === taskId)) {
          if (typeof framework.id !== 'string' || typeof executor.id !== 'string') continue;
          const location = {
            frameworkId: framework.id,
            executorId: executor.id,
            path: `/frameworks/${framework.id}/executors/${executor.id}/runs/latest`,
          };
          this.sandboxes.set(taskId, location);
          return location;
        }
      }
    }
    const host = new URL(reply.url).host;
    throw new TaskFileNotFoundError(taskId, 'sandbox', `the Mesos agent at ${host} does not know the task${wanted ? ` (executor ${wanted})` : ''}; its sandbox may have been garbage-collected`);
  }

  /** The executor's task_prefix: given, Thermos', or from the cluster's custom executor file. */
  private async taskPrefix(task: AssignedTask): Promise<string | undefined> {
    if (this.options.taskPrefix !== undefined) return this.options.taskPrefix;
    const name = task.task?.executorConfig?.name;
    if (name === undefined) return undefined;
    if (name === THERMOS_EXECUTOR_NAME) return THERMOS_TASK_PREFIX;
    const file = this.options.cluster?.customExecutorConfig;
    if (file === undefined) return undefined;
    this.prefixes ??= loadExecutorConfig(file).then(
      (catalog) => new Map(catalog.executors.map((e) => [e.name, e.taskPrefix])),
      // The task ids listed in /state find the executor without it.
      () => new Map(),
    );
    return (await this.prefixes).get(name);
  }

  private transportFor(task: AssignedTask): Transport {
    const host = task.slaveHost;
    if (host === undefined || host === '') {
      const status = (task as { status?: ScheduleStatus }).status;
      throw new TaskFileNotFoundError(taskIdOf(task), 'sandbox', `the task has not been placed on an agent${status !== undefined ? ` (${ScheduleStatus[status]})` : ''}`);
    }
    const scheme = this.options.agentScheme ?? 'http';
    const origin = `${scheme}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${this.options.agentPort}`;
    let transport = this.transports.get(origin);
    if (!transport) {
      const auth = this.options.agentAuth === false ? undefined : (this.options.agentAuth ?? this.netrcFor(host));
      transport = createHttpTransport({
        url: `${origin}/`,
        auth,
        tls: this.options.tls,
        timeoutMs: this.options.timeoutMs,
        fetch: this.options.fetch,
        maxRedirects: 0,
        peer: 'the Mesos agent',
      });
      this.transports.set(origin, transport);
    }
    return transport;
  }

  private netrcFor(host: string): Credentials | undefined {
    if (this.options.netrc === false) return undefined;
    if (this.netrc === null) this.netrc = this.options.netrc ?? loadNetrcSync({ home: this.options.home })?.netrc;
    // Only the agent's own entry: `default` credentials were meant for the scheduler, not for every host.
    return this.netrc ? netrcCredentials(this.netrc, host, { useDefault: false }) : undefined;
  }
}

interface AgentState {
  frameworks?: AgentFramework[];
  completed_frameworks?: AgentFramework[];
}
interface AgentFramework {
  id?: string;
  executors?: AgentExecutor[];
  completed_executors?: AgentExecutor[];
}
interface AgentExecutor {
  id?: string;
  tasks?: { id?: string }[];
  queued_tasks?: { id?: string }[];
  completed_tasks?: { id?: string }[];
}

/**
 * `{"data": ..., "offset": N}`. Mesos writes `data` with rapidjson, which passes the file's bytes
 * through as they are (escaping only control characters, `"` and `\`), so the reply is read as
 * Latin-1 to get every byte back unchanged, UTF-8 or not.
 */
function decodeRead(reply: GetReply, label: string): { offset: number; data: Buffer } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body.toString('latin1'));
  } catch {
    throw new AuroraProtocolError(`${label}: the Mesos agent's reply from ${reply.url} is not JSON`);
  }
  const { data, offset } = (parsed ?? {}) as { data?: unknown; offset?: unknown };
  if (typeof data !== 'string' || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new AuroraProtocolError(`${label}: the Mesos agent's reply from ${reply.url} is not {"data": string, "offset": number}`);
  }
  // An agent that escaped characters beyond Latin-1 (\uXXXX) wrote text, not bytes: read it as UTF-8.
  const bytes = /[^\u0000-\u00ff]/.test(data) ? Buffer.from(JSON.parse(reply.body.toString('utf8')).data as string, 'utf8') : Buffer.from(data, 'latin1');
  return { offset, data: bytes };
}
