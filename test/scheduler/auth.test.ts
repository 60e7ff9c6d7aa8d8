/**
 * The local scheduler with --basic-auth-file (Aurora's shiro.ini with hashed passwords) and
 * --task-user: who may write, what a refused caller sees, that passwords never leak, and that tasks
 * run as the task user and cannot touch the scheduler's files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraError } from '../../src/errors.js';
import { ResponseCode, ScheduleStatus, type Response } from '../../src/gen/types.js';
import { decodeReply, encodeCall } from '../../src/protocol/index.js';
import { hashPassword, parseUsersFile, resolveTaskUser, verifyPassword, WildcardPermission } from '../../src/scheduler/auth/index.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { errorOf, shellExecutor, startTestScheduler, testJob, waitFor, type TestScheduler } from '../support/scheduler.js';

const PASSWORDS = { alice: 'alice-Pa55word!', bob: 'bob-s3cret-phrase', deployer: 'deploy:with:colons', backup: 'backup-pw-987' };

/** The scheduler with --basic-auth-file. */
let secured: TestScheduler;
let dir: string;
const logs: string[] = [];
const seen: string[] = []; // every error message and response detail the tests received

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aurora-ts-auth-'));
  const usersFile = join(dir, 'security.ini');
  writeFileSync(
    usersFile,
    [
      '# who may write to the local scheduler',
      '[users]',
      `alice = ${await hashPassword(PASSWORDS.alice)}, admin`,
      `bob = ${await hashPassword(PASSWORDS.bob)}, eng`,
      `deployer = ${await hashPassword(PASSWORDS.deployer)}, deploy`,
      `backup = ${await hashPassword(PASSWORDS.backup)}, backup`,
      '',
      '[roles]',
      'admin = *',
      '; quoted: one permission with sub-parts',
      'eng = "thrift.AuroraSchedulerManager:createJob,restartShards:www-data:devel"',
      'deploy = thrift.AuroraSchedulerManager:killTasks:www-data:*:*',
      'backup = thrift.AuroraAdmin:listBackups',
    ].join('\n'),
  );
  secured = await startTestScheduler({
    executors: [shellExecutor('sleeper', 'exec sleep 60', 'sleep-')],
    killGraceMs: 200,
    basicAuthFile: usersFile,
    onLog: (m) => logs.push(m),
  });
});

afterAll(async () => {
  await secured?.close();
  // Nothing the scheduler logged or answered carries a password.
  const everything = [...logs, ...seen].join('\n');
  for (const password of Object.values(PASSWORDS)) {
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(Buffer.from(password).toString('base64'));
  }
});

function as(user?: keyof typeof PASSWORDS, password?: string): AuroraClient {
  return new AuroraClient({
    url: secured.url,
    ...(user ? { auth: { username: user, password: password ?? PASSWORDS[user] } } : {}),
  });
}

/** The error a call fails with (recorded for the password scan). */
async function failure(call: Promise<unknown>): Promise<AuroraError & { code?: ResponseCode; details?: readonly string[] }> {
  const error = await errorOf(call);
  seen.push(String((error as Error).message));
  return error as AuroraError;
}

async function raw(method: string, args: Record<string, unknown>, headers: Record<string, string> = {}) {
  const reply = await fetch(`${secured.url}/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.apache.thrift.binary', accept: 'application/vnd.apache.thrift.binary', ...headers },
    body: encodeCall('binary', method, 1, args),
  });
  const body = Buffer.from(await reply.arrayBuffer());
  seen.push(body.toString('latin1'));
  const response: Response | undefined = reply.status === 200 ? decodeReply('binary', method, body) : undefined;
  return { status: reply.status, challenge: reply.headers.get('www-authenticate'), response };
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('Basic authentication', () => {
  it('a write without credentials gets HTTP 401 with the Basic challenge', async () => {
    const answer = await raw('createJob', { description: testJob({ name: 'nocreds' }) });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe('Basic realm="Apache Aurora Scheduler"');
    const error = await failure(as().createJob(testJob({ name: 'nocreds' })));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/HTTP 401.*no credentials were sent; the scheduler asks for Basic authentication/);
  });

  it('a wrong password, or an unknown user, gets HTTP 401', async () => {
    expect((await raw('createJob', { description: testJob({ name: 'x' }) }, basic('bob', 'not-his-password'))).status).toBe(401);
    expect((await raw('createJob', { description: testJob({ name: 'x' }) }, basic('mallory', PASSWORDS.bob))).status).toBe(401);
    const error = await failure(as('bob', 'wrong-password').createJob(testJob({ name: 'x' })));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('rejected the credentials of user "bob"');
    expect(logs.some((l) => l.includes('Authentication failed for user "mallory"'))).toBe(true);
  });

  it('read-only calls are open, with or without (even wrong) credentials', async () => {
    expect((await as().getJobs('www-data')).configs).toEqual([]);
    expect((await as('bob', 'wrong-password').getRoleSummary()).summaries).toBeDefined();
  });

  it('an allowed write works and is attributed to its user', async () => {
    await as('bob').createJob(testJob({ name: 'hello' }));
    expect((await as().getJobs('www-data')).configs.map((c) => c.key?.name)).toEqual(['hello']);
  });

  it('a write the user is not permitted gets AUTH_FAILED with Aurora\'s message', async () => {
    const error = await failure(as('bob').killTasks({ role: 'www-data', environment: 'devel', name: 'hello' }, [], 'bye'));
    expect(error.code).toBe(ResponseCode.AUTH_FAILED);
    expect(error.details).toEqual(['Subject bob is not permitted to thrift.AuroraSchedulerManager:killTasks:www-data:devel:hello.']);
    // bob's sub-parts do not reach prod.
    const prod = await failure(as('bob').createJob(testJob({ name: 'hello', environment: 'prod' })));
    expect(prod.details).toEqual(['Subject bob is not permitted to thrift.AuroraSchedulerManager:createJob:www-data:prod:hello.']);
  });

  it('a wildcard permission (killTasks:www-data:*:*) allows any job of the role, and the kill names its user', async () => {
    const key = { role: 'www-data', environment: 'devel', name: 'hello' };
    const other = await failure(as('deployer').killTasks({ role: 'other', environment: 'devel', name: 'hello' }, [], ''));
    expect(other.details).toEqual(['Subject deployer is not permitted to thrift.AuroraSchedulerManager:killTasks:other:devel:hello.']);
    await as('deployer').killTasks(key, [], '');
    const tasks = (await as().getTasksWithoutConfigs({ jobKeys: [key] })).tasks;
    const events = tasks.flatMap((t) => t.taskEvents ?? []);
    expect(events.some((e) => e.message === 'Killed by deployer')).toBe(true);
    expect(tasks.every((t) => t.status === ScheduleStatus.KILLED || t.status === ScheduleStatus.KILLING)).toBe(true);
  });

  it('a write without a valid job key is INVALID_REQUEST, as in Aurora', async () => {
    const answer = await raw('killTasks', { job: { role: 'www data', environment: 'devel', name: 'x' } }, basic('alice', PASSWORDS.alice));
    expect(answer.response?.responseCode).toBe(ResponseCode.INVALID_REQUEST);
    expect(answer.response?.details?.[0]?.message).toBe('Missing or invalid job key from request.');
  });

  it('admin RPCs need thrift.AuroraAdmin:<rpc>', async () => {
    const denied = await failure(as('bob').snapshot());
    expect(denied.code).toBe(ResponseCode.AUTH_FAILED);
    expect(denied.details).toEqual(['Subject bob lacks permission thrift.AuroraAdmin:snapshot']);
    const backup = await failure(as('backup').snapshot());
    expect(backup.details).toEqual(['Subject backup lacks permission thrift.AuroraAdmin:snapshot']);
    // alice (admin = *) gets past authorization to the RPC itself.
    const allowed = await raw('snapshot', {}, basic('alice', PASSWORDS.alice));
    expect(allowed.status).toBe(200);
    expect(allowed.response?.responseCode).not.toBe(ResponseCode.AUTH_FAILED);
    const listed = await raw('listBackups', {}, basic('backup', PASSWORDS.backup));
    expect(listed.response?.responseCode).not.toBe(ResponseCode.AUTH_FAILED);
  });
});

describe('the users file', () => {
  it('rejects plaintext passwords without echoing them', () => {
    const attempt = () => parseUsersFile('[users]\nsally = apple-pie-secret, admin\n[roles]\nadmin = *\n', 'security.ini');
    expect(attempt).toThrow(/^basicAuthFile: security\.ini line 2: the password of user "sally" must be a hash "scrypt\$<salt>\$<key>"/);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('apple-pie-secret');
    }
  });

  it('rejects other sections and undefined roles', async () => {
    const hash = await hashPassword('x');
    expect(() => parseUsersFile(`[main]\nfoo = bar\n`, 'f')).toThrow(/line 1: section \[main\] is not allowed; only \[users\] and \[roles\] are/);
    expect(() => parseUsersFile(`[users]\nsally = ${hash}, admn\n[roles]\nadmin = *\n`, 'f')).toThrow(/user "sally" has role "admn", which \[roles\] does not define/);
  });

  it('hashes verify, and only with the right password', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horse!', hash)).toBe(false);
    expect(hash).not.toBe(await hashPassword('correct horse'));
  });
});

describe("Shiro's wildcard permissions", () => {
  const implies = (granted: string, wanted: string) => new WildcardPermission(granted).implies(new WildcardPermission(wanted));
  it('match by parts, sub-parts, wildcards and prefixes, case-insensitively', () => {
    expect(implies('*', 'thrift.AuroraAdmin:snapshot')).toBe(true);
    expect(implies('thrift.AuroraSchedulerManager', 'thrift.AuroraSchedulerManager:killTasks:a:b:c')).toBe(true);
    expect(implies('thrift.AuroraSchedulerManager:*', 'thrift.AuroraSchedulerManager:killTasks:a:b:c')).toBe(true);
    expect(implies('thrift.AuroraSchedulerManager:killTasks:www-data:*:*', 'thrift.AuroraSchedulerManager:killTasks:www-data:prod:web')).toBe(true);
    expect(implies('thrift.AuroraSchedulerManager:killTasks:www-data:*:*', 'thrift.AuroraSchedulerManager:createJob:www-data:prod:web')).toBe(false);
    expect(implies('thrift.AuroraSchedulerManager:createJob,killTasks:www-data', 'thrift.AuroraSchedulerManager:killTasks:www-data:prod:web')).toBe(true);
    expect(implies('thrift.auroraschedulermanager:KILLTASKS', 'thrift.AuroraSchedulerManager:killTasks:x:y:z')).toBe(true);
    expect(implies('thrift.AuroraAdmin:snapshot', 'thrift.AuroraAdmin')).toBe(false);
    expect(implies('thrift.AuroraAdmin:*:*', 'thrift.AuroraAdmin:snapshot')).toBe(true);
    expect(implies('thrift.AuroraAdmin', 'thrift.AuroraSchedulerManager:killTasks:x:y:z')).toBe(false);
  });
});

describe('exposure', () => {
  it('warns when the API listens beyond loopback without authentication', async () => {
    const warnings: string[] = [];
    const open = await startScheduler({ host: '0.0.0.0', port: 0, executors: secured.executorsFile, onLog: (m) => warnings.push(m) });
    await open.close();
    expect(warnings.some((w) => /listens on 0\.0\.0\.0 without authentication/.test(w))).toBe(true);
    const local: string[] = [];
    const quiet = await startScheduler({ port: 0, executors: secured.executorsFile, onLog: (m) => local.push(m) });
    await quiet.close();
    expect(local.filter((w) => w.includes('without authentication'))).toEqual([]);
  });
});

describe('--task-user', () => {
  it('runs tasks as that user, who cannot write outside its sandbox (or is refused when not root)', async () => {
    if (process.getuid?.() !== 0) {
      await expect(resolveTaskUser('nobody')).rejects.toThrow(/taskUser: running tasks as "nobody" needs the scheduler to run as root/);
      return;
    }
    const workDir = await mkdtemp(join(tmpdir(), 'aurora-ts-taskuser-'));
    const probe = [
      'echo $$ > pid',
      `if (echo x > "${workDir}/evil") 2>/dev/null; then echo wrote; else echo denied; fi > outside`,
      `if (echo x > "${workDir}/sandboxes/evil") 2>/dev/null; then echo wrote; else echo denied; fi > sibling`,
      `if ls "${workDir}/sandboxes" >/dev/null 2>&1; then echo listed; else echo denied; fi > listing`,
      'echo "$HOME $USER" > identity',
      'exec sleep 60',
    ].join('; ');
    const s = await startTestScheduler({ executors: [shellExecutor('probe', probe)], workDir, taskUser: 'nobody', cpus: 2, ramMb: 1024, killGraceMs: 200 });
    try {
      const probeJob = testJob({ name: 'probe', executor: 'probe' });
      await s.client.createJob(probeJob);
      const sandbox = await waitFor('the probe task to run', async () => {
        const task = (await s.client.getTasksWithoutConfigs({ jobKeys: [probeJob.key!] })).tasks[0];
        const id = task?.assignedTask?.taskId;
        if (!id || task.status !== ScheduleStatus.RUNNING) return undefined;
        const done = await readFile(join(workDir, 'sandboxes', id, 'identity'), 'utf8').catch(() => '');
        return done ? join(workDir, 'sandboxes', id) : undefined;
      });
      const pid = readFileSync(join(sandbox, 'pid'), 'utf8').trim();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(status).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
      expect(status).toMatch(/^Gid:\s+65534\s+65534\s+65534\s+65534$/m);
      expect(status).toMatch(/^Groups:\s*$/m);
      expect(readFileSync(join(sandbox, 'outside'), 'utf8').trim()).toBe('denied');
      expect(readFileSync(join(sandbox, 'sibling'), 'utf8').trim()).toBe('denied');
      expect(readFileSync(join(sandbox, 'listing'), 'utf8').trim()).toBe('denied');
      expect(readFileSync(join(sandbox, 'identity'), 'utf8').trim()).toBe('/nonexistent nobody');
    } finally {
      await s.close();
    }
  }, 30_000);

  it('names the field when the user does not exist', async () => {
    await expect(resolveTaskUser('no-such-user-here')).rejects.toThrow(/^taskUser: no user "no-such-user-here" on this machine/);
  });
});
