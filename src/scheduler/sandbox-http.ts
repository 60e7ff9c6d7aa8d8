/**
 * Sandbox files over HTTP, like a Mesos agent's files endpoint: GET /sandbox/<taskId>/<file>
 * (`?offset=N` to read from a byte offset). Only regular files inside the task's sandbox are served.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, sep } from 'node:path';
import type { TaskStore } from './tasks.js';

export function sandboxRoutes(store: TaskStore, sandboxRoot: string) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://local');
    const match = /^\/sandbox\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!match || request.method !== 'GET') return false;
    const taskId = decodeURIComponent(match[1]!);
    const file = decodeURIComponent(match[2]!);
    if (!store.get(taskId)) return reply(response, 404, `unknown task ${taskId}`);
    const dir = join(sandboxRoot, taskId);
    let path: string;
    try {
      const root = await realpath(dir);
      path = await realpath(join(dir, file));
      if (!path.startsWith(root + sep)) return reply(response, 403, 'outside the sandbox');
      const info = await stat(path);
      if (!info.isFile()) return reply(response, 404, `${file} is not a file`);
      const offset = Math.max(0, Math.min(Number(url.searchParams.get('offset') ?? 0) || 0, info.size));
      response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': info.size - offset, 'X-File-Size': info.size });
      if (info.size === offset) {
        response.end();
        return true;
      }
      createReadStream(path, { start: offset, end: info.size - 1 }).pipe(response);
      return true;
    } catch {
      return reply(response, 404, `no ${file} in the sandbox of ${taskId}`);
    }
  };
}

function reply(response: ServerResponse, status: number, text: string): true {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
  return true;
}
