/**
 * Basic auth end to end: a local scheduler with a users file made by hashPassword, and the CLI
 * taking credentials from AURORA_USERNAME/AURORA_PASSWORD or ~/.netrc. Writes without credentials
 * are HTTP 401 (exit 4), writes a user may not make are AUTH_FAILED (exit 4), permitted writes work,
 * reads need nobody; the password never shows up in any output. Plus `scheduler hash-password`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/scheduler/auth/index.js';
import type { RunningScheduler } from '../../src/scheduler/index.js';
import { cleanEnv, EXECUTORS, json, jobFile, localScheduler, oneErrorLine, onTerminal, runCli, tempDir, type CliResult } from './helpers.js';

let scheduler: RunningScheduler;
const dir = tempDir();
const users = join(dir, 'users.ini');
const ALICE = 'correct horse battery';
const BOB = 'hunter2-bob';

beforeAll(async () => {
  writeFileSync(
    users,
    [
      '[users]',
      `alice = ${await hashPassword(ALICE)}, admin`,
      `bob = ${await hashPassword(BOB)}, deploy`,
      '[roles]',
      'admin = *',
      'deploy = thrift.AuroraSchedulerManager:createJob:www-data:prod:*',
      '',
    ].join('\n'),
  );
  scheduler = await localScheduler({ basicAuthFile: users });
});

afterAll(async () => {
  await scheduler?.close();
});

function envWith(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ AURORA_SCHEDULER_URL: scheduler.url, ...extra });
}

function noSecrets(result: CliResult): void {
  for (const secret of [ALICE, BOB]) expect(result.stdout + result.stderr).not.toContain(secret);
}

describe('credentials', () => {
  it('a write without credentials is HTTP 401: exit 4, with where credentials come from; reads need none', async () => {
    const env = envWith();
    const result = await runCli(['job', 'create', jobFile(dir, 'anon', { instances: 1 })], { env });
    expect(result.code).toBe(4);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: createJob: HTTP 401 from ${scheduler.url}/api: no credentials were sent; the scheduler asks for Basic authentication (set AURORA_USERNAME and AURORA_PASSWORD, or add the host to ~/.netrc)`,
    );
    const list = await runCli(['--json', 'job', 'list', 'local'], { env });
    expect(list.code).toBe(0);
    expect(json(list)).toMatchObject({ cluster: 'local', jobs: [] });
  });

  it('AURORA_USERNAME/AURORA_PASSWORD: a permitted write works, a forbidden one is AUTH_FAILED (exit 4)', async () => {
    const env = envWith({ AURORA_USERNAME: 'bob', AURORA_PASSWORD: BOB });
    const created = await runCli(['--verbose', 'job', 'create', jobFile(dir, 'bobs', { instances: 1 })], { env });
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created job local/www-data/prod/bobs');
    noSecrets(created);

    const kill = await runCli(['job', 'killall', 'local/www-data/prod/bobs'], { env });
    expect(kill.code).toBe(4);
    expect(oneErrorLine(kill)).toBe('aurora-ts: killTasks: AUTH_FAILED: Subject bob is not permitted to thrift.AuroraSchedulerManager:killTasks:www-data:prod:bobs.');

    const admin = await runCli(['admin', 'snapshot', 'local'], { env });
    expect(admin.code).toBe(4);
    expect(oneErrorLine(admin)).toBe('aurora-ts: snapshot: AUTH_FAILED: Subject bob lacks permission thrift.AuroraAdmin:snapshot');
  });

  it('a wrong password is exit 4 and is never printed, even with --verbose', async () => {
    const env = envWith({ AURORA_USERNAME: 'alice', AURORA_PASSWORD: BOB });
    const result = await runCli(['--verbose', 'job', 'killall', 'local/www-data/prod/bobs'], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`aurora-ts: killTasks: HTTP 401 from ${scheduler.url}/api: the scheduler rejected the credentials of user "alice"`);
    noSecrets(result);
  });

  it('~/.netrc supplies credentials for the scheduler host; the environment wins over it', async () => {
    const env = envWith();
    writeFileSync(join(env['HOME']!, '.netrc'), `machine 127.0.0.1\n  login alice\n  password "${ALICE}"\n`, { mode: 0o600 });
    const kill = await runCli(['job', 'killall', 'local/www-data/prod/bobs', '--wait'], { env });
    expect(kill.code).toBe(0);
    noSecrets(kill);
    expect(await runCli(['admin', 'snapshot', 'local'], { env })).toMatchObject({ code: 0, stdout: 'Snapshot taken.\n' });

    const asBob = await runCli(['admin', 'snapshot', 'local'], { env: { ...env, AURORA_USERNAME: 'bob', AURORA_PASSWORD: BOB } });
    expect(asBob.code).toBe(4);
    expect(oneErrorLine(asBob)).toContain('Subject bob lacks permission');
  });

  it("$NETRC in the command's environment names the netrc file", async () => {
    const netrc = join(tempDir(), 'credentials');
    writeFileSync(netrc, `machine 127.0.0.1\n  login alice\n  password "${ALICE}"\n`, { mode: 0o600 });
    const snapshot = await runCli(['admin', 'snapshot', 'local'], { env: envWith({ NETRC: netrc }) });
    expect(snapshot).toMatchObject({ code: 0, stdout: 'Snapshot taken.\n' });
    noSecrets(snapshot);
  });

  it('half of the environment pair is bad input: exit 2, nothing sent', async () => {
    const offline = cleanEnv({ AURORA_SCHEDULER_URL: 'http://127.0.0.1:1', AURORA_USERNAME: 'alice' });
    const result = await runCli(['admin', 'snapshot', 'local'], { env: offline });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe('aurora-ts: AURORA_USERNAME is set but AURORA_PASSWORD is not (set both, or neither to use ~/.netrc)');
  });

  it('--help documents the environment', async () => {
    const help = await runCli(['--help']);
    expect(help.stdout).toMatch(/^ {2}AURORA_USERNAME +Basic auth user/m);
    expect(help.stdout).toMatch(/^ {2}AURORA_PASSWORD +/m);
  });
});

describe('scheduler hash-password', () => {
  it('hashes a password piped into stdin', async () => {
    const result = await runCli(['scheduler', 'hash-password'], { stdin: `${ALICE}\n` });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^scrypt\$[\w-]+\$[\w-]{43}\n$/);
    expect(await verifyPassword(ALICE, result.stdout.trim())).toBe(true);

    const empty = await runCli(['scheduler', 'hash-password']);
    expect(empty.code).toBe(2);
    expect(oneErrorLine(empty)).toMatch(/^aurora-ts: the password is empty/);
  });

  it('asks twice without echo on a terminal', async () => {
    const typed = await onTerminal(['scheduler', 'hash-password'], cleanEnv(), { input: ['s3cret-typed\r', 's3cret-typed\r'], waitFor: /[Pp]assword: / });
    expect(typed.code).toBe(0);
    expect(typed.output).toContain('Password: ');
    expect(typed.output).toContain('Repeat password: ');
    expect(typed.output).not.toContain('s3cret-typed');
    const hash = /scrypt\$[\w-]+\$[\w-]{43}/.exec(typed.output)![0];
    expect(await verifyPassword('s3cret-typed', hash)).toBe(true);

    const mismatch = await onTerminal(['scheduler', 'hash-password'], cleanEnv(), { input: ['one\r', 'two\r'], waitFor: /[Pp]assword: / });
    expect(mismatch.code).toBe(1);
    expect(mismatch.output).toMatch(/aurora-ts:.* the passwords do not match/);
    expect(mismatch.output).not.toMatch(/one|two/);
  });

  it('scheduler start refuses a users file with a plaintext password: exit 2', async () => {
    const bad = join(dir, 'plain.ini');
    writeFileSync(bad, '[users]\nalice = secret, admin\n[roles]\nadmin = *\n');
    const result = await runCli(['scheduler', 'start', '--port', '0', '--custom-executor-config', EXECUTORS, '--basic-auth-file', bad], { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toMatch(/plain\.ini line 2: the password of user "alice" must be a hash/);
    expect(result.stderr).not.toContain('secret,');
  });
});
