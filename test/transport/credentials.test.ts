import { describe, expect, it } from 'vitest';
import { AuroraError } from '../../src/errors.js';
import { createHttpTransport } from '../../src/transport/index.js';
import type { HttpTransportOptions, TransportEvent } from '../../src/transport/index.js';
import { closeAfterEach, closedPort, startServer } from './helpers.js';

const track = closeAfterEach();

const PASSWORD = 'Tr0ub4dor&3-horse';
const TOKEN = Buffer.from(`deployer:${PASSWORD}`).toString('base64');

/** Everything a user could print about a failed call: message, stack, fields, causes. */
function everythingPrintable(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; depth += 1) {
    if (e instanceof Error) parts.push(e.message, e.stack ?? '', String(e));
    parts.push(JSON.stringify(e, Object.getOwnPropertyNames(e as object)));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

describe('HTTP transport: credentials never leak', () => {
  it('keeps the password out of every error and event of failing authenticated calls', async () => {
    // A hostile or sloppy server that echoes what it got, in every failure shape we handle.
    const echoing = track(await startServer((req, res) => {
      const said = `Authorization: ${req.headers.authorization ?? ''} password=${PASSWORD} token ${TOKEN}`;
      const status = Number(req.url?.split('/')[2] ?? 500);
      if (status === 307) res.writeHead(307, { location: `http://deployer:${PASSWORD}@localhost:1/api` }).end();
      else res.writeHead(status, { 'www-authenticate': 'Basic realm="x"' }).end(said);
    }));
    const stalled = track(await startServer(() => undefined));
    const refused = await closedPort();

    const targets: Array<Partial<HttpTransportOptions>> = [
      { url: `${echoing.origin}/s/401` },
      { url: `${echoing.origin}/s/403` },
      { url: `${echoing.origin}/s/500` },
      { url: `${echoing.origin}/s/503` },
      { url: `${echoing.origin}/s/307` },
      { url: `${stalled.origin}/api`, timeoutMs: 200 },
      { url: `http://127.0.0.1:${refused}/api` },
    ];
    const printed: string[] = [];
    const events: TransportEvent[] = [];
    for (const target of targets) {
      for (const style of ['option', 'userinfo'] as const) {
        const url = style === 'userinfo' ? target.url!.replace('://', `://deployer:${encodeURIComponent(PASSWORD)}@`) : target.url!;
        const transport = track(createHttpTransport({
          ...target,
          url,
          ...(style === 'option' ? { auth: { username: 'deployer', password: PASSWORD } } : {}),
          onEvent: (e) => events.push(e),
        }));
        printed.push(transport.url);
        let error: unknown;
        try {
          await transport.send({ method: 'createJob', body: Uint8Array.of(1), protocol: 'binary' });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(AuroraError);
        printed.push(everythingPrintable(error));
      }
    }
    printed.push(JSON.stringify(events));

    const all = printed.join('\n');
    expect(events.some((e) => e.type === 'error')).toBe(true);
    expect(all).toContain('deployer'); // the user name may be shown...
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), TOKEN]) {
      expect(all).not.toContain(secret); // ...the password never is
    }
  });
});
