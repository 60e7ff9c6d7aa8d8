/**
 * Sandbox files over HTTP, like a Mesos agent's files endpoint: GET /sandbox/<taskId>/<file>
 * (`?offset=N` to read from a byte offset, `&length=N` for at most N bytes). Only regular files inside
 * the task's sandbox are served. Every reply carries `X-Aurora-Ts-Sandbox: 1`, by which a client
 * (the SDK's task files) tells this endpoint from a real Aurora scheduler's 404 and reads the
 * task's agent instead.
 * GET /sandbox/<taskId> (no file) answers where the sandbox is, the environment the task's command
 * got and the user it runs as (null: the scheduler's), as JSON `{taskId, host, sandbox, env, user}`:
 * what `aurora-ts task run`/`task ssh` need to run a command there as the task would.
 *
 * The task owns its sandbox and may change it while a request is served: the file is opened once,
 * without following any link (runner/beneath.ts), checked through its descriptor and streamed from that
 * descriptor, so a directory swapped for a link can never make the server read outside the sandbox.
 */
import { stat, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isLinkRefusal, openBeneath, pathParts, UnsafePathError } from './runner/beneath.js';
import type { ScheduledTask } from '../gen/types.js';
import type { TaskStore } from './tasks.js';

/** How a task's command was started: its environment (without the runner's marker) and its user, if not the scheduler's. */
export interface TaskLaunch {
  env: Record<string, string>;
  user?: { name: string; uid: number; gid: number };
}

/** A task's {@link TaskLaunch}; throws when it cannot be built. */
export type TaskLaunchOf = (task: ScheduledTask) => TaskLaunch;

export function sandboxRoutes(store: TaskStore, sandboxRoot: string, launchOf?: TaskLaunchOf) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://local');
    const whole = /^\/sandbox\/([^/]+)\/?$/.exec(url.pathname);
    if (whole && launchOf && request.method === 'GET') return describe(response, store, sandboxRoot, launchOf, whole[1]!);
    const match = /^\/sandbox\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!match || request.method !== 'GET') return false;
    let taskId: string;
    let file: string;
    try {
      taskId = decodeURIComponent(match[1]!);
      file = decodeURIComponent(match[2]!);
    } catch {
      return reply(response, 400, `sandbox path ${JSON.stringify(url.pathname)} is not valid percent-encoded UTF-8`);
    }
    if (!store.get(taskId)) return reply(response, 404, `unknown task ${taskId}`);
    try {
      pathParts(file);
    } catch (err) {
      return reply(response, 400, `file ${(err as Error).message}`);
    }
    const rawOffset = url.searchParams.get('offset');
    if (rawOffset !== null && !/^\d+$/.test(rawOffset)) return reply(response, 400, `offset ${JSON.stringify(rawOffset)} must be a non-negative integer`);
    const rawLength = url.searchParams.get('length');
    if (rawLength !== null && !/^\d+$/.test(rawLength)) return reply(response, 400, `length ${JSON.stringify(rawLength)} must be a non-negative integer`);

    const sandbox = join(sandboxRoot, taskId);
    let handle: FileHandle;
    let owner: number;
    try {
      // The sandbox directory itself sits in the scheduler's own directory: no task can swap it.
      owner = (await stat(sandbox)).uid;
      handle = await openBeneath(sandbox, file);
    } catch (err) {
      if (err instanceof UnsafePathError) return reply(response, 400, `file ${err.message}`);
      const why = isLinkRefusal(err) ? ' (symbolic links are not followed)' : '';
      return reply(response, 404, `no ${file} in the sandbox of ${taskId}${why}`);
    }
    let streaming = false;
    try {
      const info = await handle.stat();
      if (!info.isFile()) return reply(response, 404, `no ${file} in the sandbox of ${taskId} (not a regular file)`);
      // A hard link to a file the task's user cannot read (possible where fs.protected_hardlinks is 0)
      // is a file of someone else's: serve only what belongs to the sandbox's owner.
      if (info.uid !== owner) return reply(response, 403, `${file} in the sandbox of ${taskId} does not belong to the task's user`);
      const size = info.size;
      const offset = Math.min(Number(rawOffset ?? 0), size);
      const end = rawLength === null ? size : Math.min(size, offset + Number(rawLength));
      response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': end - offset, 'X-File-Size': size, [MARK]: '1' });
      if (end === offset) {
        response.end();
        return true;
      }
      streaming = true;
      await streamExactly(handle, offset, end, response);
      return true;
    } catch {
      // Headers may be out already: the only honest answer left is to cut the connection.
      if (!response.headersSent) return reply(response, 404, `no ${file} in the sandbox of ${taskId}`);
      response.destroy();
      return true;
    } finally {
      if (!streaming) await handle.close().catch(() => undefined);
    }
  };
}

/**
 * Streams bytes [start, end) of the open file (the stream closes the handle). A file the task
 * truncates meanwhile yields fewer bytes than the Content-Length sent: the connection is then cut
 * rather than ended, so a keep-alive client never reads the next response as the rest of this body.
 */
async function streamExactly(handle: FileHandle, start: number, end: number, response: ServerResponse): Promise<void> {
  const stream = handle.createReadStream({ start, end: end - 1, autoClose: true });
  let sent = 0;
  stream.on('data', (chunk: Buffer | string) => {
    sent += chunk.length;
  });
  try {
    await pipeline(stream, response, { end: false });
  } catch {
    response.destroy();
    return;
  }
  if (sent === end - start) response.end();
  else response.destroy();
}

async function describe(response: ServerResponse, store: TaskStore, sandboxRoot: string, launchOf: TaskLaunchOf, rawId: string): Promise<true> {
  let taskId: string;
  try {
    taskId = decodeURIComponent(rawId);
  } catch {
    return reply(response, 400, `task id ${JSON.stringify(rawId)} is not valid percent-encoded UTF-8`);
  }
  const task = store.get(taskId);
  if (!task) return reply(response, 404, `unknown task ${taskId}`);
  const sandbox = join(sandboxRoot, taskId);
  if (!(await stat(sandbox).then((s) => s.isDirectory(), () => false))) return reply(response, 404, `no sandbox for ${taskId} (not launched yet, or removed)`);
  let launch: TaskLaunch;
  try {
    launch = launchOf(task);
  } catch (err) {
    return reply(response, 500, `cannot build the environment of ${taskId}: ${(err as Error).message}`);
  }
  const { env, user } = launch;
  const body = JSON.stringify({ taskId, host: task.assignedTask?.slaveHost ?? null, sandbox, env, user: user ? { name: user.name, uid: user.uid, gid: user.gid } : null });
  response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), [MARK]: '1' });
  response.end(body);
  return true;
}

/** The header that says "this is the aurora-ts sandbox endpoint", on every reply it makes. */
const MARK = 'X-Aurora-Ts-Sandbox';

function reply(response: ServerResponse, status: number, text: string): true {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', [MARK]: '1' });
  response.end(`${text}\n`);
  return true;
}
