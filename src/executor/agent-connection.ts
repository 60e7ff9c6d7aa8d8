/**
 * The executor's HTTP side of Mesos' v1 executor API: POST /api/v1/executor on the agent, SUBSCRIBE
 * answered with a RecordIO stream of Events, the other calls with 202. One keep-alive pool, so calls
 * go on connections other than the subscription's, as Mesos requires.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { APPLICATION_PROTOBUF, CallType, decodeMessage, encodeMessage, EventType, type MediaType, type MesosJson } from '../mesos/proto.js';
import { RecordIODecoder } from '../mesos/recordio.js';

export const EXECUTOR_API_PATH = '/api/v1/executor';

export interface CallAnswer {
  status: number;
  /** The agent's text (an error's reason), at most one line. */
  text: string;
}

export class AgentConnection {
  private readonly pool = new Agent({ keepAlive: true });
  private readonly headers: Record<string, string>;
  private subscription: IncomingMessage | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly media: MediaType,
    token: string | undefined,
  ) {
    this.headers = { 'Content-Type': media, Accept: media };
    if (token) this.headers.Authorization = `Bearer ${token}`;
  }

  /**
   * Sends SUBSCRIBE. On 200 calls `onEvent` for each Event (decoded into Mesos' JSON form) until the
   * stream ends, then resolves with 200; otherwise resolves with the agent's answer. Rejects when the
   * agent cannot be reached, the stream breaks, or an event cannot be decoded.
   */
  subscribe(call: MesosJson, onEvent: (event: MesosJson) => void): Promise<CallAnswer> {
    return new Promise((resolve, reject) => {
      const req = this.post(call, (response) => {
        if (response.statusCode !== 200) {
          void readText(response).then((text) => resolve({ status: response.statusCode ?? 0, text }), reject);
          return;
        }
        const media = response.headers['content-type'] === APPLICATION_PROTOBUF ? APPLICATION_PROTOBUF : this.media;
        this.subscription = response;
        const records = new RecordIODecoder();
        response.on('data', (chunk: Buffer) => {
          try {
            for (const record of records.push(chunk)) onEvent(decodeMessage(EventType, record, media));
          } catch (error) {
            response.destroy(error as Error);
          }
        });
        response.on('end', () => resolve({ status: 200, text: '' }));
        response.on('error', reject);
        response.on('close', () => {
          if (this.subscription === response) this.subscription = undefined;
          if (!response.complete) reject(new Error('the subscription stream broke'));
        });
      });
      req.on('error', reject);
    });
  }

  /** A call other than SUBSCRIBE; resolves with the agent's answer (202 when taken). */
  call(call: MesosJson): Promise<CallAnswer> {
    return new Promise((resolve, reject) => {
      const req = this.post(call, (response) => void readText(response).then((text) => resolve({ status: response.statusCode ?? 0, text }), reject));
      req.on('error', reject);
    });
  }

  /** Ends the subscription (if any) and every pooled connection. */
  close(): void {
    this.subscription?.destroy();
    this.subscription = undefined;
    this.pool.destroy();
  }

  private post(call: MesosJson, onResponse: (response: IncomingMessage) => void) {
    const body = encodeMessage(CallType, call, this.media);
    const [host, port] = splitEndpoint(this.endpoint);
    const req = request({ host, port, path: EXECUTOR_API_PATH, method: 'POST', agent: this.pool, headers: { ...this.headers, 'Content-Length': String(body.length) } }, onResponse);
    req.end(body);
    return req;
  }
}

function splitEndpoint(endpoint: string): [string, number] {
  const colon = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), Number(endpoint.slice(colon + 1))];
}

/** The answer's body as one line, at most 500 characters. */
function readText(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      if (size < 4096) chunks.push(chunk);
      size += chunk.length;
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 500)));
    response.on('error', reject);
  });
}
