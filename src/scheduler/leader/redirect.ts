/**
 * Aurora's LeaderRedirectFilter for /api: the leader serves; a follower answers 307 to the leader
 * the serverset names (the caller re-POSTs the same body there), or 503 while there is no single
 * leader; a request carrying `Bypass-Leader-Redirect` is always served here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Leadership } from './election.js';

export const BYPASS_LEADER_REDIRECT_HEADER = 'Bypass-Leader-Redirect';

const NO_LEADER = 'No leader found: the schedulers are failing over. This is routine and should last no more than a few minutes.';

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * An api-server `intercept`: true when it answered the request itself. `current()` is undefined
 * until the scheduler has joined the election (it then answers 503 like any follower without a leader).
 */
export function leaderRedirect(current: () => { leadership: Leadership; self: Endpoint } | undefined) {
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    if (request.headers[BYPASS_LEADER_REDIRECT_HEADER.toLowerCase()] !== undefined) return false;
    const joined = current();
    if (joined?.leadership.isLeader()) return false;
    const leader = joined?.leadership.leader();
    // A serverset naming this very scheduler while it does not lead is stale: redirecting would loop.
    if (!joined || !leader || (leader.host === joined.self.host && leader.port === joined.self.port)) {
      request.resume();
      response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' });
      response.end(`${NO_LEADER}\n`);
      return true;
    }
    request.resume();
    const host = leader.host.includes(':') && !leader.host.startsWith('[') ? `[${leader.host}]` : leader.host;
    const query = (request.url ?? '').includes('?') ? (request.url ?? '').slice((request.url ?? '').indexOf('?')) : '';
    response.writeHead(307, { Location: `http://${host}:${leader.port}/api${query}`, 'Content-Length': 0 });
    response.end();
    return true;
  };
}

/** The host a scheduler announces: the bound address, or this machine's name when bound to all interfaces. */
export function advertisedHost(bindHost: string, machineName: string): string {
  const h = bindHost.replace(/^\[|\]$/g, '');
  return h === '' || h === '0.0.0.0' || h === '::' ? machineName : h;
}
