/**
 * The argument forms of Aurora's Python client, through the CLI (in-process) against a local scheduler:
 * `CLUSTER/ROLE/ENV/NAME[/INSTANCES] CONFIG` for job create, inspect, diff, update start and cron
 * schedule (the key must be the file's job: a mismatch is one line, exit 2, nothing sent), and
 * `update info|wait KEY ID`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, jobFile, oneErrorLine, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();
const { cli } = useLocalScheduler();

const KEY = 'local/www-data/prod/pyform';

describe("Aurora's KEY FILE form", () => {
  it('create, inspect, diff KEY/INSTANCES, update start KEY/INSTANCES and update info/wait KEY ID', async () => {
    const v1 = jobFile(dir, 'pyform', { instances: 2 });
    const created = await cli('job', 'create', KEY, v1, '--wait-until', 'RUNNING');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Created job ${KEY} (2 instances)`);

    const inspected = json<{ key: { name: string } }>(await cli('--json', 'job', 'inspect', KEY, v1));
    expect(inspected.key.name).toBe('pyform');

    // Three instances with new executor data: the diff of instance 0 alone shows only instance 0.
    const v2 = jobFile(dir, 'pyform-v2', { name: 'pyform', instances: 3, executor: { name: 'hello-executor', data: { greeting: 'v2' } }, update: { watchSecs: 1 } });
    const whole = json<{ added: number[]; changed: { instances: number[] }[] }>(await cli('--json', 'job', 'diff', KEY, v2));
    expect(whole.added).toEqual([2]);
    expect(whole.changed.map((g) => g.instances)).toEqual([[0, 1]]);
    const one = json<{ job: string; added: number[]; changed: { instances: number[] }[] }>(await cli('--json', 'job', 'diff', `${KEY}/0`, v2));
    expect(one).toMatchObject({ job: KEY, added: [] });
    expect(one.changed.map((g) => g.instances)).toEqual([[0]]);

    const beyond = await cli('job', 'diff', `${KEY}/7`, v1);
    expect(beyond.stdout).toBe(`No differences: ${v1} matches the running job ${KEY} (it has no instance 7).\n`);

    const started = await cli('--json', 'update', 'start', `${KEY}/1`, v2);
    expect(started.code, started.stderr).toBe(0);
    const { id } = json<{ id: string }>(started);
    const waited = await cli('--json', 'update', 'wait', KEY, id, '--wait-timeout', '60');
    expect(waited.code, waited.stderr).toBe(0);
    const info = json<{ id: string; status: string; instanceEvents: { instanceId: number }[] }>(await cli('--json', 'update', 'info', KEY, id));
    expect(info).toMatchObject({ id, status: 'ROLLED_FORWARD' });
    // Only instance 1 was updated: Aurora's `update start KEY/1 CONFIG`.
    expect([...new Set(info.instanceEvents.map((e) => e.instanceId))]).toEqual([1]);

    const twoIds = await cli('update', 'info', KEY, id, '--id', 'another');
    expect(twoIds.code).toBe(2);
    expect(oneErrorLine(twoIds)).toContain(`two update ids: ${id} after the key and --id another`);
    const twice = await cli('update', 'start', `${KEY}/1`, v2, '--instances', '0');
    expect(twice.code).toBe(2);
    expect(oneErrorLine(twice)).toContain('instances twice');
  });

  it('cron schedule KEY FILE', async () => {
    const nightly = jobFile(dir, 'pynightly', { instances: 1, service: false, cron: { schedule: '0 2 * * *' } });
    const scheduled = await cli('cron', 'schedule', 'local/www-data/prod/pynightly', nightly);
    expect(scheduled).toMatchObject({ code: 0, stdout: 'Scheduled cron job local/www-data/prod/pynightly: 0 2 * * *\n' });
  });

  it("a key that is not the file's job is one line naming both, exit 2, and nothing is sent", async () => {
    const file = jobFile(dir, 'ticker', { instances: 1 });
    const cron = jobFile(dir, 'tickcron', { instances: 1, service: false, cron: { schedule: '0 2 * * *' } });
    const cases: [string[], string][] = [
      [['job', 'create', 'local/sre/staging/t2', file], 'local/www-data/prod/ticker'],
      [['job', 'inspect', 'local/www-data/prod/other', file], 'local/www-data/prod/ticker'],
      [['job', 'diff', 'local/www-data/devel/ticker/0', file], 'local/www-data/prod/ticker'],
      [['update', 'start', 'local/www-data/prod/t2', file], 'local/www-data/prod/ticker'],
      [['cron', 'schedule', 'local/www-data/prod/t2', cron], 'local/www-data/prod/tickcron'],
    ];
    for (const [args, theirs] of cases) {
      const result = await cli(...args);
      expect(result.code, args.join(' ')).toBe(2);
      const typed = args[2]!.replace(/\/\d+$/, '');
      expect(oneErrorLine(result)).toBe(`aurora-ts: job key ${typed} does not match the job in ${args[3]} (${theirs}) (give the file's key, or the file alone)`);
    }
    // A cluster the file does not name is a mismatch too, and so is one --cluster contradicts.
    const clustered = jobFile(dir, 'clustered', { instances: 1, cluster: 'local' });
    const elsewhere = await cli('job', 'create', 'devcluster/www-data/prod/clustered', clustered);
    expect(oneErrorLine(elsewhere)).toBe(
      `aurora-ts: job key devcluster/www-data/prod/clustered does not match the job in ${clustered} (local/www-data/prod/clustered) (give the file's key, or the file alone)`,
    );
    const flagged = await cli('job', 'create', 'devcluster/www-data/prod/ticker', file, '--cluster', 'local');
    expect(flagged.code).toBe(2);
    expect(oneErrorLine(flagged)).toContain('job key devcluster/www-data/prod/ticker names cluster devcluster but --cluster says local');
    // Nothing reached the scheduler.
    const listed = json<{ jobs: { job: string }[] }>(await cli('--json', 'job', 'list', 'local'));
    expect(listed.jobs.map((j) => j.job).filter((j) => /ticker|tickcron|clustered/.test(j))).toEqual([]);
  });

  it('a bad key, a missing file and an Aurora .aurora config each get one line, exit 2', async () => {
    const file = jobFile(dir, 'plain', { instances: 1 });
    const badKey = await cli('job', 'create', 'local/www-data/prod', file);
    expect(badKey.code).toBe(2);
    expect(oneErrorLine(badKey)).toContain('job key "local/www-data/prod": expected cluster/role/env/name');
    const none = await cli('job', 'create');
    expect(none.code).toBe(2);
    expect(oneErrorLine(none)).toBe("aurora-ts: missing required argument 'file'");
    const pystachio = join(dir, 'hello.aurora');
    writeFileSync(pystachio, "jobs = [Service(name = 'hello')]\n");
    const aurora = await cli('job', 'create', 'local/www-data/prod/hello', pystachio);
    expect(aurora.code).toBe(2);
    expect(oneErrorLine(aurora)).toBe(
      `aurora-ts: ${pystachio}: Aurora .aurora configs (Pystachio) are not read; write the job as .json (aurora-ts job wizard writes one) or as a .js/.ts module`,
    );
  });
});
