/**
 * The web UI's HTTP side: Aurora's page URLs answered with one small HTML shell, and the stylesheet and
 * browser modules it loads (built into dist/, never fetched from elsewhere). The pages read the
 * scheduler's own Thrift API (POST /api, TJSON) and the sandbox endpoint, so there is no second source
 * of truth here. Read-only: nothing served from here changes state.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { STYLESHEET } from './style.js';

/** Where the UI starts (Aurora's): what `aurora-ts scheduler start` prints. */
export const UI_PATH = '/scheduler';

/** Defence in depth behind the escaping: no inline script or style, nothing from another origin. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The browser modules, by their path under dist/ (the same relative imports work in the browser). */
const MODULES = /^(scheduler\/ui\/browser\/[a-z-]+\.js|gen\/schema\.js)$/;
const ENTRY = 'scheduler/ui/browser/app.js';

/** dist/ when running built; a source checkout's dist/ when running from src/ (the tests). */
function assetRoot(): string | undefined {
  for (const candidate of [new URL('../../', import.meta.url), new URL('../../../dist/', import.meta.url)]) {
    const dir = fileURLToPath(candidate);
    if (existsSync(`${dir}${ENTRY}`)) return dir;
  }
  return undefined;
}

/** Every module the entry imports, named up front so the browser fetches them at once, not level by level. */
function modules(root: string): string[] {
  const browser = readdirSync(`${root}scheduler/ui/browser`).filter((f) => f.endsWith('.js')).map((f) => `scheduler/ui/browser/${f}`);
  return [...browser, 'gen/schema.js'].filter((m) => MODULES.test(m) && m !== ENTRY);
}

function shell(preload: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aurora (local)</title>
<link rel="stylesheet" href="/assets/ui.css">
<script type="module" src="/assets/${ENTRY}"></script>
${preload.map((m) => `<link rel="modulepreload" href="/assets/${m}">`).join('\n')}
</head>
<body>
<a class="skip" href="#page">Skip to content</a>
<header><strong>Aurora <small>local scheduler</small></strong>
<nav aria-label="Sections"><a href="/scheduler">Jobs</a><a href="/agents">Agents</a><a href="/maintenance">Maintenance</a></nav></header>
<main><div id="page" aria-live="polite"><p class="muted">Loading…</p><noscript><p class="error">This UI needs JavaScript; the CLI (aurora-ts job status) shows the same.</p></noscript></div>
<section id="extra"></section></main>
</body>
</html>
`;
}

/** The UI's routes; answers false for every other path, so the caller's other routes (and 404) apply. */
export function uiRoutes(): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  const root = assetRoot();
  const preload = root ? modules(root) : [];
  const cache = new Map<string, Buffer>();
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const pathname = new URL(request.url ?? '/', 'http://local').pathname;
    if (pathname === '/') {
      response.writeHead(302, { Location: '/scheduler' });
      response.end();
      return true;
    }
    // GET /agents stays the agents' JSON for programs; a browser navigating there gets the page. /agents/HOST is a page only.
    const page = pathname === '/scheduler' || pathname.startsWith('/scheduler/') || pathname === '/maintenance' || pathname.startsWith('/agents/') || (pathname === '/agents' && wantsHtml(request));
    if (page) {
      const body = root
        ? shell(preload)
        : '<!doctype html><title>Aurora (local)</title><p>The web UI is not built: run <code>npm run build</code>.</p>';
      send(response, request, 200, 'text/html; charset=utf-8', Buffer.from(body), 'no-cache');
      return true;
    }
    if (pathname === '/assets/ui.css') {
      send(response, request, 200, 'text/css; charset=utf-8', Buffer.from(STYLESHEET), 'max-age=60');
      return true;
    }
    const asset = pathname.startsWith('/assets/') ? pathname.slice('/assets/'.length) : undefined;
    if (asset === undefined || !MODULES.test(asset) || !root) return false;
    let bytes = cache.get(asset);
    if (!bytes) {
      try {
        bytes = await readFile(`${root}${asset}`);
      } catch {
        return false;
      }
      cache.set(asset, bytes);
    }
    send(response, request, 200, 'text/javascript; charset=utf-8', bytes, 'max-age=60');
    return true;
  };
}

function wantsHtml(request: IncomingMessage): boolean {
  return /\btext\/html\b/.test(String(request.headers.accept ?? ''));
}

function send(response: ServerResponse, request: IncomingMessage, status: number, type: string, body: Buffer, cache: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': cache });
  response.end(request.method === 'HEAD' ? undefined : body);
}
