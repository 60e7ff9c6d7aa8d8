/**
 * Credentials never appear in any output: the real `aurora-ts` binary runs failing and succeeding
 * authenticated sessions against a local scheduler with a users file (credentials from ~/.netrc in a
 * temp HOME, from clusters.json + netrc, and from userinfo in --scheduler-url), plain, --verbose and
 * --json; every stdout, stderr and scheduler log line is scanned for the password, its Base64 token
 * and the Authorization header. A world-readable ~/.netrc gets a warning. Also: the scheduler binds
 * to loopback by default and warns when exposed without authentication.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/scheduler/auth/password.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { EXECUTORS as CLI_EXECUTORS, FIXTURES, cleanEnv, runBinary, tempDir, type CliResult } from '../cli/helpers.js';
import { report } from './helpers.js';

const PASSWORD = 'Tr0ub4dor&3-horse:battery';
const WRONG = 'wrong-Pa55-guess';
const USER = 'deployer';
const secrets = [PASSWORD, WRONG, encodeURIComponent(PASSWORD), encodeURIComponent(WRONG), ...[PASSWORD, WRONG].map((p) => Buffer.from(`${USER}:${p}`).toString('base64'))];

let scheduler: RunningScheduler;
let port: string;
const logs: string[] = [];
const outputs: { label: string; result: CliResult }[] = [];

beforeAll(async () => {
  const dir = tempDir('aurora-ts-rel-auth-');
  const users = join(dir, 'security.ini');
  writeFileSync(users, ['[users]', `${USER} = ${await hashPassword(PASSWORD)}, deploy`, `nobody = ${await hashPassword('nobody-pw')}, none`, '[roles]', 'deploy = *', 'none = thrift.AuroraAdmin:listBackups'].join('\n'));
  scheduler = await startScheduler({ port: 0, executors: CLI_EXECUTORS, cpus: 4, ramMb: 4096, killGraceMs: 200, basicAuthFile: users, onLog: (m) => logs.push(m) });
  port = new URL(scheduler.url).port;
});
afterAll(async () => {
  await scheduler?.close();
});

/** A HOME with ~/.netrc (mode 0600 unless told) and a clusters.json naming this scheduler. */
function home(password: string, mode = 0o600): NodeJS.ProcessEnv {
  const env = cleanEnv();
  const dir = env['HOME']!;
  writeFileSync(join(dir, '.netrc'), `machine 127.0.0.1\n  login ${USER}\n  password ${password}\n`);
  chmodSync(join(dir, '.netrc'), mode);
  mkdirSync(env['AURORA_CONFIG_ROOT']!, { recursive: true });
  writeFileSync(join(env['AURORA_CONFIG_ROOT']!, 'clusters.json'), JSON.stringify([{ name: 'rel', scheduler_uri: `http://127.0.0.1:${port}` }]));
  return env;
}

async function cli(label: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const result = await runBinary(args, { env });
  outputs.push({ label, result });
  return result;
}

function expectNoSecrets(text: string, where: string): void {
  for (const secret of secrets) expect(text.includes(secret), `${where} contains a credential`).toBe(false);
  expect(text, where).not.toMatch(/authorization:|Basic [A-Za-z0-9+/=]{8,}/i);
}

describe('authenticated CLI sessions', () => {
  it('a wrong password fails with exit 4, in every output mode, without echoing anything secret', async () => {
    const url = `http://127.0.0.1:${port}`;
    const userinfo = `http://${USER}:${encodeURIComponent(WRONG)}@127.0.0.1:${port}`;
    for (const mode of [[], ['--verbose'], ['--json']]) {
      const viaNetrc = await cli(`netrc wrong ${mode}`, [...mode, '--scheduler-url', url, 'job', 'killall', 'local/www-data/prod/hello'], home(WRONG));
      expect(viaNetrc.code, viaNetrc.stderr).toBe(4);
      const viaUrl = await cli(`userinfo wrong ${mode}`, [...mode, '--scheduler-url', userinfo, 'job', 'killall', 'local/www-data/prod/hello'], cleanEnv());
      expect(viaUrl.code, viaUrl.stderr).toBe(4);
      const viaCluster = await cli(`cluster wrong ${mode}`, [...mode, 'job', 'killall', 'rel/www-data/prod/hello'], home(WRONG));
      expect(viaCluster.code, viaCluster.stderr).toBe(4);
    }
  });

  it('a permitted user succeeds (create, status, kill) and nothing secret is printed, even with --verbose', async () => {
    const job = join(FIXTURES, 'hello.json');
    const env = home(PASSWORD);
    const url = `http://127.0.0.1:${port}`;
    expect((await cli('create', ['--verbose', '--scheduler-url', url, 'job', 'create', job], env)).code).toBe(0);
    expect((await cli('status json', ['--json', 'job', 'status', 'rel/www-data/prod/hello'], env)).code).toBe(0);
    const userinfo = `http://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
    expect((await cli('kill userinfo', ['--verbose', '--scheduler-url', userinfo, 'job', 'killall', 'local/www-data/prod/hello'], cleanEnv())).code).toBe(0);
  });

  it('a user without permission gets exit 4 (AUTH_FAILED), naming the user but not the password', async () => {
    const env = cleanEnv();
    writeFileSync(join(env['HOME']!, '.netrc'), 'machine 127.0.0.1 login nobody password nobody-pw\n');
    chmodSync(join(env['HOME']!, '.netrc'), 0o600);
    const result = await cli('no permission', ['--scheduler-url', `http://127.0.0.1:${port}`, 'job', 'killall', 'local/www-data/prod/hello'], env);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/nobody/);
    expect(result.stderr).not.toContain('nobody-pw');
  });

  it('a world-readable ~/.netrc gets a warning that does not show its contents', async () => {
    const result = await cli('world-readable netrc', ['--scheduler-url', `http://127.0.0.1:${port}`, 'job', 'list', 'local'], home(PASSWORD, 0o644));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: .*\.netrc is accessible by other users \(mode 644\).*chmod 600/);
  });

  it('no output, error or scheduler log line of any session carries a credential', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(12);
    for (const { label, result } of outputs) {
      expectNoSecrets(result.stdout, `${label} stdout`);
      expectNoSecrets(result.stderr, `${label} stderr`);
    }
    for (const line of logs) expectNoSecrets(line, 'scheduler log');
    report('credential scan', { sessions: outputs.length, bytesScanned: outputs.reduce((n, o) => n + o.result.stdout.length + o.result.stderr.length, 0), schedulerLogLines: logs.length });
  });
});

describe('network exposure', () => {
  it('binds to loopback unless told otherwise, and warns when exposed without authentication', async () => {
    const quiet: string[] = [];
    const local = await startScheduler({ port: 0, onLog: (m) => quiet.push(m) });
    try {
      expect(new URL(local.url).hostname).toBe('127.0.0.1');
      expect(quiet.filter((m) => /auth/i.test(m))).toEqual([]);
    } finally {
      await local.close();
    }
    const warned: string[] = [];
    const exposed = await startScheduler({ port: 0, host: '0.0.0.0', onLog: (m) => warned.push(m) });
    try {
      expect(warned.join('\n')).toMatch(/0\.0\.0\.0/);
      expect(warned.join('\n')).toMatch(/authentication|basic-auth/i);
    } finally {
      await exposed.close();
    }
  });
});
