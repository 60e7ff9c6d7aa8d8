/**
 * The agent's side of Mesos' v1 executor HTTP API (docs/executor-http-api.md; the checks and answers
 * of `Http::executor` in src/slave/http.cpp and `validateExecutorCall` in src/common/validation.cpp):
 * POST /api/v1/executor (also at /slave(1)/api/v1/executor, where Mesos' C++ v1 library aims from
 * MESOS_SLAVE_PID). SUBSCRIBE answers 200 with a RecordIO stream of Events; UPDATE, MESSAGE and
 * HEARTBEAT answer 202. This module keeps the protocol and the per-executor sessions; what an
 * update means for a task is the listener's business (the agent driver).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateExecutor, isRefusal, signExecutorToken, verifyExecutorClaims, type AuthRefusal } from './auth.js';
import { encodeRecord } from '../../../mesos/recordio.js';
import { DEFAULT_MAX_CALL_VALUES } from '../../../protocol/codec.js';
import {
  APPLICATION_JSON,
  APPLICATION_PROTOBUF,
  CallType,
  decodeMessage,
  encodeMessage,
  EventType,
  MesosDecodeError,
  missingRequired,
  type MediaType,
  type MesosJson,
} from '../../../mesos/proto.js';

export const EXECUTOR_API_PATHS = ['/api/v1/executor', '/slave(1)/api/v1/executor'];

/** Mesos sends an executor a HEARTBEAT event this often (DEFAULT_EXECUTOR_HEARTBEAT_INTERVAL). */
export const DEFAULT_EXECUTOR_HEARTBEAT_MS = 30 * 60_000;

export interface ExecutorApiListener {
  /** An executor's SUBSCRIBE was accepted (first time or again after a disconnection). */
  subscribed?(executorId: string): void;
  /**
   * A status update from an executor, in Mesos' JSON form. Resolve once it is stored: only then is
   * ACKNOWLEDGED sent, so the executor retries what was never stored. Reject to leave it unacknowledged.
   */
  update(executorId: string, status: MesosJson): Promise<void>;
  message?(executorId: string, data: Buffer): void;
  /** The subscription stream of a subscribed executor closed. */
  disconnected?(executorId: string): void;
}

export interface ExecutorApiOptions {
  /** FrameworkInfo sent in SUBSCRIBED (its `id` set, as Mesos does). */
  frameworkInfo: MesosJson;
  /** AgentInfo sent in SUBSCRIBED. */
  agentInfo: () => MesosJson;
  heartbeatMs?: number;
  maxBodyBytes?: number;
  /** Most values a call's body may build (decodeMessage's maxValues; default 200,000, as Thrift calls). */
  maxValues?: number;
  /**
   * Mesos' --authenticate_http_executors: every call must carry `Authorization: Bearer <token>`,
   * the token `tokenFor` gives the executor (a JWT signed with this key). Off when absent.
   */
  executorSecret?: Buffer;
}

interface Stream {
  response: ServerResponse;
  media: MediaType;
}

interface Session {
  executorInfo: MesosJson;
  frameworkId: string;
  /** The executor's container (SUBSCRIBED's container_id, the token's `cid` claim). */
  containerId: string;
  stream?: Stream;
  subscribedOnce: boolean;
  /** LAUNCH events waiting for the executor to subscribe. */
  queued: MesosJson[];
  /** Updates by uuid (base64), being stored or stored: a retried or re-sent one is acknowledged, not taken twice. */
  stored: Map<string, Promise<void>>;
  heartbeat?: NodeJS.Timeout;
}

export class ExecutorApi {
  /** While true every call is answered 503, as an agent that has not finished recovery. */
  recovering = false;
  private readonly sessions = new Map<string, Session>();
  private readonly heartbeatMs: number;
  private readonly maxBody: number;
  private readonly maxValues: number;

  constructor(
    private readonly options: ExecutorApiOptions,
    private readonly listener: ExecutorApiListener,
  ) {
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_EXECUTOR_HEARTBEAT_MS;
    this.maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
    this.maxValues = options.maxValues ?? DEFAULT_MAX_CALL_VALUES;
  }

  /**
   * Expect an executor (launched or about to be): `executorInfo` carries executor_id and framework_id.
   * `containerId` is that of an executor recovered after a restart (a fresh one otherwise).
   */
  register(executorInfo: MesosJson, containerId: string = randomUUID()): void {
    const id = idOf(executorInfo.executor_id);
    const frameworkId = idOf(executorInfo.framework_id) ?? idOf(this.options.frameworkInfo.id);
    if (!id || !frameworkId) throw new Error('executorInfo needs executor_id and framework_id');
    this.sessions.set(id, { executorInfo, frameworkId, containerId, subscribedOnce: false, queued: [], stored: new Map() });
  }

  /** The executor's container id (what SUBSCRIBED carries), kept across restarts by the agent's checkpoint. */
  containerIdOf(executorId: string): string | undefined {
    return this.sessions.get(executorId)?.containerId;
  }

  /**
   * The executor's MESOS_EXECUTOR_AUTHENTICATION_TOKEN when executors must authenticate: a JWT with
   * the claims fid, eid and cid, as Mesos' JWTSecretGenerator makes it. Undefined otherwise.
   */
  tokenFor(executorId: string): string | undefined {
    const session = this.sessions.get(executorId);
    const secret = this.options.executorSecret;
    if (!session || !secret) return undefined;
    return signExecutorToken({ fid: session.frameworkId, eid: executorId, cid: session.containerId }, secret);
  }

  /** Forget an executor (it is gone); its stream, if open, is ended. */
  unregister(executorId: string): void {
    const session = this.sessions.get(executorId);
    if (!session) return;
    this.closeStream(session);
    this.sessions.delete(executorId);
  }

  isRegistered(executorId: string): boolean {
    return this.sessions.has(executorId);
  }

  isSubscribed(executorId: string): boolean {
    return this.sessions.get(executorId)?.stream !== undefined;
  }

  hasSubscribed(executorId: string): boolean {
    return this.sessions.get(executorId)?.subscribedOnce ?? false;
  }

  /** LAUNCH, now if the executor is subscribed, else as soon as it subscribes. */
  launch(executorId: string, task: MesosJson): void {
    const session = this.sessions.get(executorId);
    if (!session) return;
    const event = { type: 'LAUNCH', launch: { task } };
    if (session.stream) this.send(session, event);
    else session.queued.push(event);
  }

  /** KILL one task; false when the executor has no open stream to hear it. */
  kill(executorId: string, taskId: string): boolean {
    return this.sendIfOpen(executorId, { type: 'KILL', kill: { task_id: { value: taskId } } });
  }

  shutdown(executorId: string): boolean {
    return this.sendIfOpen(executorId, { type: 'SHUTDOWN' });
  }

  message(executorId: string, data: Buffer): boolean {
    return this.sendIfOpen(executorId, { type: 'MESSAGE', message: { data: data.toString('base64') } });
  }

  /** Ends every stream (the agent is stopping); sessions stay registered for a re-subscription. */
  closeAll(): void {
    for (const session of this.sessions.values()) this.closeStream(session);
  }

  /** Serves the request if its path is the executor API's; false otherwise. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const path = (request.url ?? '/').split('?')[0];
    if (!EXECUTOR_API_PATHS.includes(path)) return false;
    this.serve(request, response).catch(() => {
      if (!response.headersSent) answer(response, 500, 'Internal error');
      else response.destroy();
    });
    return true;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // As libprocess does, authentication comes before the endpoint's own checks.
    let claims: Record<string, string> | undefined;
    if (this.options.executorSecret) {
      const result = authenticateExecutor(request.headers.authorization, this.options.executorSecret);
      if (isRefusal(result)) return refuse(response, result, request);
      claims = result;
    }
    if (this.recovering) return answer(response, 503, 'Agent has not finished recovery', request);
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return answer(response, 405, `Expecting one of { 'POST' }, but received '${request.method}'`, request);
    }
    const contentType = request.headers['content-type'];
    if (contentType === undefined) return answer(response, 400, "Expecting 'Content-Type' to be present", request);
    // Mesos compares the header as an exact string: parameters such as charset are not accepted.
    if (contentType !== APPLICATION_JSON && contentType !== APPLICATION_PROTOBUF) {
      return answer(response, 415, `Expecting 'Content-Type' of ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF}`, request);
    }
    const body = await readBody(request, this.maxBody);
    if (body === undefined) return answer(response, 413, `Request body exceeds ${this.maxBody} bytes`);

    let call: MesosJson;
    try {
      call = decodeMessage(CallType, body, contentType, this.maxValues);
    } catch (error) {
      if (error instanceof MesosDecodeError) return answer(response, 400, error.message);
      throw error;
    }
    const invalid = validateCall(call);
    if (invalid) return answer(response, 400, `Failed to validate Executor::Call: ${invalid}`);

    let media: MediaType = APPLICATION_JSON;
    if (call.type === 'SUBSCRIBE') {
      // No Accept header accepts everything, and Mesos then picks JSON.
      if (accepts(request.headers.accept, APPLICATION_JSON)) media = APPLICATION_JSON;
      else if (accepts(request.headers.accept, APPLICATION_PROTOBUF)) media = APPLICATION_PROTOBUF;
      else return answer(response, 406, `Expecting 'Accept' to allow '${APPLICATION_PROTOBUF}' or '${APPLICATION_JSON}'`);
    } else if (call.type === 'HEARTBEAT') {
      return answer(response, 202);
    }

    const frameworkId = idOf(call.framework_id);
    const executorId = idOf(call.executor_id) ?? '';
    const session = this.sessions.get(executorId);
    if (frameworkId !== idOf(this.options.frameworkInfo.id)) return answer(response, 400, 'Framework cannot be found');
    if (!session || session.frameworkId !== frameworkId) return answer(response, 400, 'Executor cannot be found');
    if (claims) {
      const refusal = verifyExecutorClaims(claims, { fid: session.frameworkId, eid: executorId, cid: session.containerId });
      if (refusal) return refuse(response, refusal);
    }
    if (!session.subscribedOnce && call.type !== 'SUBSCRIBE') return answer(response, 403, 'Executor is not subscribed');

    switch (call.type) {
      case 'SUBSCRIBE':
        return this.subscribe(session, executorId, call.subscribe as MesosJson, response, media);
      case 'UPDATE': {
        answer(response, 202);
        const status = (call.update as MesosJson).status as MesosJson;
        this.takeUpdate(session, executorId, status);
        return;
      }
      case 'MESSAGE':
        answer(response, 202);
        this.listener.message?.(executorId, Buffer.from(String((call.message as MesosJson).data ?? ''), 'base64'));
        return;
      default:
        return answer(response, 501, '');
    }
  }

  private subscribe(session: Session, executorId: string, subscribe: MesosJson, response: ServerResponse, media: MediaType): void {
    // A new subscription replaces an old one (the executor reconnected), as Mesos does.
    this.closeStream(session);
    response.writeHead(200, { 'Content-Type': media });
    response.flushHeaders();
    const stream: Stream = { response, media };
    session.stream = stream;
    session.subscribedOnce = true;
    response.on('close', () => {
      if (session.stream !== stream) return;
      this.closeStream(session);
      this.listener.disconnected?.(executorId);
    });
    this.send(session, {
      type: 'SUBSCRIBED',
      subscribed: {
        executor_info: session.executorInfo,
        framework_info: this.options.frameworkInfo,
        agent_info: this.options.agentInfo(),
        container_id: { value: session.containerId },
      },
    });
    session.heartbeat = setInterval(() => this.send(session, { type: 'HEARTBEAT' }), this.heartbeatMs);
    session.heartbeat.unref();
    this.listener.subscribed?.(executorId);
    // Updates the executor holds unacknowledged from before a disconnection, each taken once.
    for (const update of (subscribe.unacknowledged_updates as MesosJson[] | undefined) ?? []) {
      const status = update.status as MesosJson | undefined;
      if (status) this.takeUpdate(session, executorId, status);
    }
    const queued = session.queued.splice(0);
    for (const event of queued) this.send(session, event);
  }

  private takeUpdate(session: Session, executorId: string, status: MesosJson): void {
    const uuid = String(status.uuid);
    let storing = session.stored.get(uuid);
    if (!storing) {
      storing = this.listener.update(executorId, status);
      session.stored.set(uuid, storing);
      // Not stored: forget it and send no acknowledgement, so the executor sends it again.
      storing.catch(() => session.stored.delete(uuid));
    }
    storing.then(
      () => this.send(session, { type: 'ACKNOWLEDGED', acknowledged: { task_id: status.task_id, uuid } }),
      () => undefined,
    );
  }

  private sendIfOpen(executorId: string, event: MesosJson): boolean {
    const session = this.sessions.get(executorId);
    if (!session?.stream) return false;
    this.send(session, event);
    return true;
  }

  private send(session: Session, event: MesosJson): void {
    const stream = session.stream;
    if (!stream || stream.response.writableEnded || stream.response.destroyed) return;
    stream.response.write(encodeRecord(encodeMessage(EventType, event, stream.media)));
  }

  private closeStream(session: Session): void {
    if (session.heartbeat) clearInterval(session.heartbeat);
    session.heartbeat = undefined;
    const stream = session.stream;
    session.stream = undefined;
    if (stream && !stream.response.writableEnded) stream.response.end();
  }
}

/** `validateExecutorCall`, for the checks that apply to the calls this agent serves. */
export function validateCall(call: MesosJson): string | undefined {
  const missing = missingRequired(CallType, call);
  if (missing.length > 0) return `Not initialized: ${missing.join(', ')}`;
  if (call.type === undefined) return "Expecting 'type' to be present";
  switch (call.type) {
    case 'SUBSCRIBE':
      return call.subscribe === undefined ? "Expecting 'subscribe' to be present" : undefined;
    case 'UPDATE': {
      if (call.update === undefined) return "Expecting 'update' to be present";
      const status = (call.update as MesosJson).status as MesosJson;
      if (status.uuid === undefined) return "Expecting 'uuid' to be present";
      if (!isUuid(Buffer.from(String(status.uuid), 'base64'))) return 'Not a valid UUID';
      const statusExecutor = idOf(status.executor_id);
      const callExecutor = idOf(call.executor_id);
      if (statusExecutor !== undefined && statusExecutor !== callExecutor) {
        return `ExecutorID in Call: ${callExecutor} does not match ExecutorID in TaskStatus: ${statusExecutor}`;
      }
      const who = `from executor ${callExecutor} of framework ${idOf(call.framework_id)}`;
      if (status.source !== 'SOURCE_EXECUTOR') return `Received Call ${who} with invalid source, expecting 'SOURCE_EXECUTOR'`;
      if (status.state === 'TASK_STAGING') return `Received TASK_STAGING ${who} which is not allowed`;
      return undefined;
    }
    case 'MESSAGE':
      return call.message === undefined ? "Expecting 'message' to be present" : undefined;
    default:
      return undefined;
  }
}

/** 16 bytes with a known RFC 4122 version, as stout's UUID::fromBytes requires. */
function isUuid(bytes: Buffer): boolean {
  if (bytes.length !== 16) return false;
  const version = bytes[6]! >> 4;
  return version >= 1 && version <= 5;
}

function idOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && typeof (value as MesosJson).value === 'string') return (value as MesosJson).value as string;
  return undefined;
}

/** Whether an Accept header admits a media type: absent admits all; q=0 refuses. */
export function accepts(header: string | undefined, media: string): boolean {
  if (header === undefined || header.trim() === '') return true;
  const [type] = media.split('/');
  for (const part of header.split(',')) {
    const [range, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    if (range === media || range === `${type}/*` || range === '*/*') return true;
  }
  return false;
}

function answer(response: ServerResponse, status: number, text = '', request?: IncomingMessage): void {
  request?.resume();
  response.writeHead(status, text ? { 'Content-Type': 'text/plain; charset=utf-8' } : {});
  response.end(text);
}

function refuse(response: ServerResponse, refusal: AuthRefusal, request?: IncomingMessage): void {
  if (refusal.challenge) response.setHeader('WWW-Authenticate', refusal.challenge);
  answer(response, refusal.status, refusal.text, request);
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
