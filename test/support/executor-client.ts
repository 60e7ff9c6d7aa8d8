/**
 * A raw Mesos v1 executor client for tests: POSTs calls to an agent's executor API in either media
 * type and reads a SUBSCRIBE's RecordIO event stream as it arrives. Nothing of the agent's own code
 * is used but the codec (protobufjs over the project's .proto files, checked against Mesos' by the
 * manifest test).
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { CallType, decodeMessage, encodeMessage, EventType, RecordIODecoder, type MediaType, type MesosJson } from '../../src/scheduler/agents/executor-api/index.js';

export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

/** An open subscription: the events the agent streams, decoded as they arrive. */
export interface Subscription {
  status: number;
  contentType: string | undefined;
  /** The body when the agent refused the SUBSCRIBE (status not 200). */
  text: string;
  next(waitMs?: number): Promise<MesosJson>;
  close(): void;
}

export class ExecutorClient {
  constructor(
    /** `host:port` of the agent (MESOS_AGENT_ENDPOINT). */
    readonly endpoint: string,
    /** Headers sent with every call (e.g. Authorization). */
    readonly headers: Record<string, string> = {},
  ) {}

  /** POSTs raw bytes and reads the whole (non-streaming) answer. */
  post(body: Buffer | string, headers: Record<string, string>, method = 'POST', path = '/api/v1/executor'): Promise<Reply> {
    const [host, port] = this.split();
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host, port, path, method, headers: { ...this.headers, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  call(value: MesosJson, media: MediaType): Promise<Reply> {
    return this.post(encodeMessage(CallType, value, media), { 'Content-Type': media });
  }

  /** SUBSCRIBE as `executorId` of `frameworkId`; `extra` is the Call.Subscribe message. */
  subscribe(ids: { executorId: string; frameworkId: string }, media: MediaType, accept?: string, extra: MesosJson = {}): Promise<Subscription> {
    const body = encodeMessage(CallType, { type: 'SUBSCRIBE', executor_id: { value: ids.executorId }, framework_id: { value: ids.frameworkId }, subscribe: extra }, media);
    const headers: Record<string, string> = { ...this.headers, 'Content-Type': media };
    if (accept !== undefined) headers.Accept = accept;
    const [host, port] = this.split();
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host, port, path: '/api/v1/executor', method: 'POST', headers }, (res) => {
        const decoder = new RecordIODecoder();
        const events: MesosJson[] = [];
        const waiting: ((e: MesosJson) => void)[] = [];
        const streamMedia = res.headers['content-type'] as MediaType;
        const refused: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          if (res.statusCode !== 200) {
            refused.push(chunk);
            return;
          }
          for (const record of decoder.push(chunk)) {
            const event = decodeMessage(EventType, record, streamMedia);
            const waiter = waiting.shift();
            if (waiter) waiter(event);
            else events.push(event);
          }
        });
        const subscription: Subscription = {
          status: res.statusCode!,
          contentType: res.headers['content-type'],
          text: '',
          next: (waitMs = 5000) =>
            new Promise<MesosJson>((resolveEvent, rejectEvent) => {
              const ready = events.shift();
              if (ready) return resolveEvent(ready);
              const timer = setTimeout(() => rejectEvent(new Error(`no event within ${waitMs} ms`)), waitMs);
              waiting.push((e) => {
                clearTimeout(timer);
                resolveEvent(e);
              });
            }),
          close: () => req.destroy(),
        };
        if (res.statusCode === 200) return resolve(subscription);
        res.on('end', () => resolve({ ...subscription, text: Buffer.concat(refused).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  private split(): [string, number] {
    const at = this.endpoint.lastIndexOf(':');
    return [this.endpoint.slice(0, at), Number(this.endpoint.slice(at + 1))];
  }
}

/** A random RFC 4122 version 4 UUID's 16 bytes, as an executor puts in TaskStatus.uuid. */
export function uuidBytes(): Buffer {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
}

/** An UPDATE call from `executorId` for `taskId`. */
export function updateCall(ids: { executorId: string; frameworkId: string }, taskId: string, state: string, uuid: Buffer, more: MesosJson = {}): MesosJson {
  return {
    type: 'UPDATE',
    executor_id: { value: ids.executorId },
    framework_id: { value: ids.frameworkId },
    update: { status: { task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', uuid: uuid.toString('base64'), ...more } },
  };
}

/** `NAME=value` lines (what `env` prints) as a record; a value keeps any `=` it contains. */
export function parseEnvLines(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}
