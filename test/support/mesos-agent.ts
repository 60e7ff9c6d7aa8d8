/**
 * A stand-in for a Mesos agent's HTTP API, as far as reading task files goes: a real HTTP server on
 * 127.0.0.1 that answers `/files/read`, `/files/browse` and `/state` the way apache/mesos does
 * (src/files/files.cpp, src/slave/http.cpp, libprocess' http.hpp and authenticator.cpp):
 *
 * - an executor's run directory is attached under its virtual path
 *   `/frameworks/<framework>/executors/<executor>/runs/latest` (and its real directory), and a
 *   path resolves by its longest attached prefix, never outside the attached directory;
 * - `/files/read?path=&offset=&length=` answers `{"offset": N, "data": "..."}`: `offset` missing or
 *   -1 gives the file's size and no data; an offset at or past the end gives no data and echoes the
 *   offset; at most 16 pages (64 KiB) a read; errors: 400 "Expecting 'path=value' in query.",
 *   "Failed to parse offset: ...", "Negative offset provided: N.", "Cannot read a directory.";
 *   404 with an empty body for a path nothing resolves to;
 * - `data` is written as rapidjson writes it: the file's bytes as they are, only control
 *   characters, `"` and `\` escaped;
 * - with credentials configured (`--authenticate_http_readonly`), every request without the right
 *   Basic credentials gets 401, `WWW-Authenticate: Basic realm="mesos-agent-readonly"`, body
 *   "401 Unauthorized.".
 */
import { realpathSync, statSync, openSync, readSync, closeSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface StandInExecutor {
  frameworkId: string;
  executorId: string;
  /** The executor's run directory (its sandbox). */
  directory: string;
  /** Mesos task ids the executor runs (Aurora's task ids). */
  taskIds: string[];
  /** Listed under completed_executors, as after the executor ended. */
  completed?: boolean;
}

export interface MesosAgentStandIn {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Every request, as `METHOD path?query`, in order. */
  requests: string[];
  /** Authorization headers received, in order (undefined when absent). */
  authorizations: (string | undefined)[];
  attach(executor: StandInExecutor): void;
  close(): Promise<void>;
}

const PAGE_SIZE = 4096;
const REALM = 'mesos-agent-readonly';

export async function startMesosAgent(options: { credentials?: { username: string; password: string }; hostname?: string } = {}): Promise<MesosAgentStandIn> {
  const executors: StandInExecutor[] = [];
  /** Virtual path → real directory (files.cpp `paths`). */
  const attached = new Map<string, string>();
  const requests: string[] = [];
  const authorizations: (string | undefined)[] = [];

  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    authorizations.push(request.headers.authorization);
    if (options.credentials && !authenticated(request, options.credentials)) {
      return send(response, 401, '401 Unauthorized.', 'text/plain; charset=utf-8', { 'WWW-Authenticate': `Basic realm="${REALM}"` });
    }
    const url = new URL(request.url ?? '/', 'http://agent');
    if (url.pathname === '/files/read') return read(url, response);
    if (url.pathname === '/files/browse') return browse(url, response);
    if (url.pathname === '/state') return send(response, 200, JSON.stringify(state()), 'application/json');
    return send(response, 404, '', 'text/plain; charset=utf-8');
  });

  function state() {
    const frameworks = new Map<string, { id: string; name: string; executors: unknown[]; completed_executors: unknown[] }>();
    for (const e of executors) {
      let framework = frameworks.get(e.frameworkId);
      if (!framework) {
        framework = { id: e.frameworkId, name: 'Aurora', executors: [], completed_executors: [] };
        frameworks.set(e.frameworkId, framework);
      }
      const tasks = e.taskIds.map((id) => ({ id, name: id, framework_id: e.frameworkId, executor_id: e.executorId, state: e.completed ? 'TASK_FINISHED' : 'TASK_RUNNING' }));
      const view = {
        id: e.executorId,
        name: e.executorId,
        source: '',
        container: 'c0ffee',
        directory: e.directory,
        tasks: e.completed ? [] : tasks,
        queued_tasks: [],
        completed_tasks: e.completed ? tasks : [],
      };
      (e.completed ? framework.completed_executors : framework.executors).push(view);
    }
    return { id: 'agent-1', hostname: options.hostname ?? '127.0.0.1', frameworks: [...frameworks.values()], completed_frameworks: [] };
  }

  /** files.cpp resolve(): the longest attached prefix, plus the rest inside it; undefined = not found. */
  function resolve(path: string): { path: string } | { error: string } | undefined {
    const tokens = path.replace(/\/+$/, '').split('/');
    const suffix: string[] = [];
    while (tokens.length > 0) {
      const prefix = tokens.join('/');
      const root = attached.get(prefix);
      if (root === undefined) {
        suffix.unshift(tokens.pop()!);
        continue;
      }
      if (!statSync(root).isDirectory()) return suffix.length === 0 ? { path: root } : undefined;
      let real: string;
      try {
        real = realpathSync(join(root, ...suffix));
      } catch {
        return undefined;
      }
      if (!real.startsWith(root)) return { error: `'${join(root, ...suffix)}' is inaccessible` };
      return { path: real };
    }
    return undefined;
  }

  /** numify<off_t>: a whole decimal number, else "Failed to parse ...". */
  function number(text: string): number | undefined {
    return /^\s*-?\d+\s*$/.test(text) ? Number(text) : undefined;
  }

  function read(url: URL, response: ServerResponse): void {
    const path = url.searchParams.get('path');
    if (path === null || path === '') return send(response, 400, "Expecting 'path=value' in query.\n");
    let offset = -1;
    const rawOffset = url.searchParams.get('offset');
    if (rawOffset !== null) {
      const n = number(rawOffset);
      if (n === undefined) return send(response, 400, `Failed to parse offset: Failed to convert '${rawOffset}' to number.\n`);
      if (n < -1) return send(response, 400, `Negative offset provided: ${n}.\n`);
      offset = n;
    }
    let length: number | undefined;
    const rawLength = url.searchParams.get('length');
    if (rawLength !== null) {
      const n = number(rawLength);
      if (n === undefined) return send(response, 400, `Failed to parse length: Failed to convert '${rawLength}' to number.\n`);
      if (n < -1) return send(response, 400, `Negative length provided: ${n}.\n`);
      if (n > -1) length = n;
    }
    let start = offset;
    if (offset === -1) {
      start = 0;
      length = 0;
    }
    const resolved = resolve(path);
    if (resolved === undefined) return send(response, 404, '');
    if ('error' in resolved) return send(response, 400, `${resolved.error}.\n`);
    if (statSync(resolved.path).isDirectory()) return send(response, 400, 'Cannot read a directory.\n');
    const size = statSync(resolved.path).size;
    let data = Buffer.alloc(0);
    if (start < size) {
      const want = Math.min(length ?? size - start, PAGE_SIZE * 16);
      if (want > 0) {
        const fd = openSync(resolved.path, 'r');
        try {
          data = Buffer.alloc(want);
          data = data.subarray(0, readSync(fd, data, 0, want, start));
        } finally {
          closeSync(fd);
        }
      }
    }
    // The size comes back in `offset` only for offset=-1; otherwise the requested offset is echoed.
    const shown = offset === -1 ? size : offset;
    const body = Buffer.concat([Buffer.from(`{"data":`), rapidJsonString(data), Buffer.from(`,"offset":${shown}}`)]);
    send(response, 200, body, 'application/json');
  }

  function browse(url: URL, response: ServerResponse): void {
    const path = url.searchParams.get('path');
    if (path === null || path === '') return send(response, 400, "Expecting 'path=value' in query.\n");
    const resolved = resolve(path);
    if (resolved === undefined) return send(response, 404, '');
    if ('error' in resolved) return send(response, 400, `${resolved.error}.\n`);
    const listing = readdirSync(resolved.path)
      .sort()
      .map((name) => {
        const info = statSync(join(resolved.path, name));
        return { path: `${path.replace(/\/+$/, '')}/${name}`, size: info.size, mode: info.isDirectory() ? 'drwxr-xr-x' : '-rw-r--r--', nlink: info.nlink, mtime: Math.floor(info.mtimeMs / 1000), uid: String(info.uid), gid: String(info.gid) };
      });
    send(response, 200, JSON.stringify(listing), 'application/json');
  }

  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    authorizations,
    attach(executor) {
      executors.push(executor);
      const directory = realpathSync(executor.directory);
      attached.set(`/frameworks/${executor.frameworkId}/executors/${executor.executorId}/runs/latest`, directory);
      attached.set(directory, directory);
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

function authenticated(request: IncomingMessage, credentials: { username: string; password: string }): boolean {
  const header = request.headers.authorization;
  if (header === undefined) return false;
  const parts = header.split(' ');
  if (parts.length !== 2 || parts[0] !== 'Basic') return false;
  const decoded = Buffer.from(parts[1]!, 'base64').toString('utf8').split(':');
  return decoded.length === 2 && decoded[0] === credentials.username && decoded[1] === credentials.password;
}

/** A JSON string as rapidjson's Writer makes it: bytes as they are, control characters, `"` and `\` escaped. */
function rapidJsonString(bytes: Buffer): Buffer {
  const out: number[] = [0x22];
  const short: Record<number, string> = { 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0c: 'f', 0x0d: 'r', 0x22: '"', 0x5c: '\\' };
  for (const b of bytes) {
    const escape = short[b];
    if (escape !== undefined) out.push(0x5c, escape.charCodeAt(0));
    else if (b < 0x20) out.push(...Buffer.from(`\\u00${b.toString(16).padStart(2, '0').toUpperCase()}`));
    else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out);
}

function send(response: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  response.writeHead(status, { 'Content-Type': type, 'Content-Length': bytes.length, ...headers });
  response.end(bytes);
}
