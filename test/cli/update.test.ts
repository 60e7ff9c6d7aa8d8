/**
 * `update start|list|info` through the CLI (in-process) against a local scheduler: a new config rolled out
 * batch by batch, a failing config rolled back, with the human lines, --json documents and exit codes
 * (pause/resume/abort/rollback/pulse/wait and the terminal spinner are in update-control.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CONTROL, json, type ListedUpdates, SVC_KEY, svcUpdateFixture } from './helpers.js';

const { cli, svc } = svcUpdateFixture();
const KEY = SVC_KEY;
type Listed = ListedUpdates;

describe('update start --wait, list, info', () => {
  it('rolls a new config out batch by batch, with plain progress lines when piped', async () => {
    const result = await cli('update', 'start', svc('v2'), '--wait');
    expect(result.code).toBe(0);
    const id = /^Started update (\S+) of local\/www-data\/prod\/svc\.$/m.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    const label = `update ${id} of ${KEY}`;
    expect(result.stderr).toContain(`waiting for ${label}...`);
    expect(result.stderr).toContain(`${label}: ROLLING_FORWARD: batch 1/2, 0/4 instances updated`);
    expect(result.stderr).toMatch(new RegExp(`${label}: ROLLED_FORWARD: batch 2/2, 4/4 instances updated \\(0-3\\)\\n$`));
    expect(result.stdout + result.stderr).not.toMatch(CONTROL);

    const listed = json<Listed>(await cli('--json', 'update', 'list', KEY));
    expect(listed.updates).toEqual([{ job: KEY, id, status: 'ROLLED_FORWARD', user: 'UNSECURE', createdMs: expect.any(Number), lastModifiedMs: expect.any(Number) }]);
    const table = await cli('update', 'list', 'local/www-data');
    expect(table.stdout).toMatch(/^JOB +ID +STATUS +USER +CREATED$/m);
    // 80 columns: the id's first 8 characters and an age; --wide: the whole id and the time.
    expect(table.stdout).toMatch(new RegExp(`^${KEY} +${id!.slice(0, 8)} +ROLLED_FORWARD +UNSECURE +\\d+s ago$`, 'm'));
    const wide = await cli('--wide', 'update', 'list', 'local/www-data');
    expect(wide.stdout).toMatch(new RegExp(`^${KEY} +${id} +ROLLED_FORWARD +UNSECURE +\\d{4}-\\d\\d-\\d\\dT`, 'm'));
    // The short id names the update where an id is taken.
    expect(json<{ id: string }>(await cli('--json', 'update', 'info', KEY, id!.slice(0, 8))).id).toBe(id);
    expect((await cli('update', 'list', 'local', '--active')).stdout).toBe('No updates.\n');

    const info = await cli('update', 'info', KEY);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(`Update ${id} of ${KEY} by UNSECURE\n  ROLLED_FORWARD: batch 2/2, 4/4 instances updated (0-3)\nEvents:\n`);
    expect(info.stdout).toMatch(/^ {2}\S+Z {2}ROLLING_FORWARD$/m);
    expect(info.stdout).toMatch(/^ {2}\S+Z {2}instance 3 {2}INSTANCE_UPDATED$/m);
    const data = json<{ status: string; done: number[]; instances: number; events: { status: string }[]; instanceEvents: { instanceId: number; action: string }[] }>(
      await cli('--json', 'update', 'info', KEY, '--id', id!),
    );
    expect(data).toMatchObject({ job: KEY, id, status: 'ROLLED_FORWARD', instances: 4, done: [0, 1, 2, 3] });
    expect(data.events.map((e) => e.status)).toEqual(['ROLLING_FORWARD', 'ROLLED_FORWARD']);
    expect(data.instanceEvents.filter((e) => e.action === 'INSTANCE_UPDATED').map((e) => e.instanceId).sort()).toEqual([0, 1, 2, 3]);

    const unchanged = await cli('--json', 'update', 'start', svc('v2'));
    expect(json(unchanged)).toEqual({ job: KEY, started: false });
    expect((await cli('update', 'start', svc('v2'))).stdout).toBe(`No update started for ${KEY}: nothing changed.\n`);
  });

  it('a config whose tasks fail is rolled back: exit 1 with the reason', async () => {
    const failing = svc('broken', { executor: { name: 'failer' } }, { strategy: 'queue', batchSize: 4 });
    const data = json<{ started: boolean; status: string; message: string; instances: number }>(await cli('--json', 'update', 'start', failing, '--wait'));
    expect(data).toMatchObject({ job: KEY, started: true, status: 'ROLLED_BACK', instances: 4 });
    expect(data.message).toMatch(/^Latest failure: instance \d exited\.$/);

    const human = await cli('update', 'start', failing, '--wait');
    expect(human.code, human.stdout + human.stderr).toBe(1);
    expect(human.stderr).toMatch(/: ROLLED_BACK: \d\/\d instances rolled back.* \(Latest failure: instance \d exited\.\)\n/);
    // The wait ends with one line saying what failed, as every failed command does.
    expect(human.stderr).toMatch(new RegExp(`\\naurora-ts: update \\S+ of ${KEY} ended ROLLED_BACK: Latest failure: instance \\d exited\\.\\n$`));
    // The job still runs the last good config.
    const tasks = json<{ tasks: { state: string }[] }>(await cli('--json', 'job', 'status', KEY)).tasks;
    expect(tasks.filter((t) => t.state === 'RUNNING').length).toBeGreaterThan(0);
  });
});
