/**
 * The wire between the scheduler and its agent processes (agent-process.ts): newline-delimited JSON
 * over a Unix socket in `<stateDir>/agents/<host>/`. To the agent: LAUNCH, ADOPT (Aurora's explicit
 * reconciliation of one task), KILL, FORGET (an ended task the scheduler has stored), PRUNE (every
 * task the scheduler does not know is killed), PING, SHUTDOWN. From the agent: UPDATE and PONG.
 */
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { AdoptSpec, LaunchSpec, ProcessIdentity, TaskOutcome } from '../runner/index.js';

/** A task's state as its agent reports it. UNKNOWN: the agent has neither its processes nor their exit. */
export type AgentTaskState = 'STARTING' | 'SPAWNED' | 'RUNNING' | 'ENDED' | 'UNKNOWN';

export type ToAgent =
  | { op: 'LAUNCH'; spec: WireLaunchSpec }
  | { op: 'ADOPT'; spec: AdoptSpec }
  | { op: 'KILL'; taskId: string; reason: string }
  | { op: 'FORGET'; taskId: string }
  | { op: 'PRUNE'; keep: string[] }
  | { op: 'PING' }
  | { op: 'SHUTDOWN' };

export type FromAgent =
  | { op: 'UPDATE'; taskId: string; state: AgentTaskState; identity?: ProcessIdentity; message?: string; outcome?: TaskOutcome }
  | { op: 'PONG'; pid: number };

/** A LaunchSpec as JSON carries it: file contents that are bytes travel as base64. */
export type WireLaunchSpec = Omit<LaunchSpec, 'files'> & { files?: Record<string, string | { base64: string }> };

export function toWire(spec: LaunchSpec): WireLaunchSpec {
  if (!spec.files) return spec as WireLaunchSpec;
  const files: Record<string, string | { base64: string }> = {};
  for (const [name, data] of Object.entries(spec.files)) files[name] = typeof data === 'string' ? data : { base64: Buffer.from(data).toString('base64') };
  return { ...spec, files };
}

export function fromWire(spec: WireLaunchSpec): LaunchSpec {
  if (!spec.files) return spec as LaunchSpec;
  const files: Record<string, string | Uint8Array> = {};
  for (const [name, data] of Object.entries(spec.files)) files[name] = typeof data === 'string' ? data : Buffer.from(data.base64, 'base64');
  return { ...spec, files };
}

/** An agent's directory: its socket, its pid, its log and its tasks' records. */
export function agentDir(stateDir: string, host: string): string {
  return join(stateDir, 'agents', host);
}

export const SOCKET_FILE = 'agent.sock';

/** Calls `onMessage` with each JSON line read from `socket` (lines that do not parse are dropped). */
export function readLines<T>(socket: Socket, onMessage: (message: T) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let message: T;
      try {
        message = JSON.parse(line) as T;
      } catch {
        continue;
      }
      onMessage(message);
    }
  });
}

export function send(socket: Socket | undefined, message: ToAgent | FromAgent): void {
  if (socket && !socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}
