/**
 * `update pause|resume|abort|rollback|pulse|wait` through the CLI (in-process) against a local scheduler:
 * an update paused, resumed, aborted, rolled back and pulsed, with the human lines, --json documents
 * and exit codes (update start/list/info are in update.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { json, jobFile, type ListedUpdates, onTerminal, oneErrorLine, SVC_KEY, svcUpdateFixture } from './helpers.js';

const fixture = svcUpdateFixture();
const { cli, dir, svc } = fixture;
const KEY = SVC_KEY;
type Listed = ListedUpdates;

describe('pause, resume, abort, rollback, wait, pulse', () => {
  it('pauses, resumes and aborts the active update; a second update meanwhile is rejected', async () => {
    const slow = svc('slow', {}, { watchSecs: 30 });
    const started = await cli('update', 'start', slow);
    expect(started.code).toBe(0);
    const id = /Started update (\S+) /.exec(started.stdout)![1]!;

    const paused = await cli('update', 'pause', KEY, '--message', 'hold on');
    expect(paused).toMatchObject({ code: 0, stdout: `Paused update ${id} of ${KEY}.\n` });
    expect(json<{ status: string }>(await cli('--json', 'update', 'info', KEY)).status).toBe('ROLL_FORWARD_PAUSED');
    expect(json<Listed>(await cli('--json', 'update', 'list', KEY, '--active')).updates.map((u) => [u.id, u.status])).toEqual([[id, 'ROLL_FORWARD_PAUSED']]);

    const again = await cli('update', 'start', svc('other', {}, { watchSecs: 30 }));
    expect(again.code).toBe(3);
    expect(oneErrorLine(again)).toMatch(/startJobUpdate: INVALID_REQUEST: .*update/i);

    const resumed = await cli('--json', 'update', 'resume', KEY);
    expect(json(resumed)).toEqual({ job: KEY, id, action: 'resume' });
    expect(json<{ status: string }>(await cli('--json', 'update', 'info', KEY)).status).toBe('ROLLING_FORWARD');

    const gaveUp = await cli('update', 'wait', KEY, '--wait-timeout', '1');
    expect(gaveUp.code).toBe(1);
    expect(gaveUp.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^aurora-ts: gave up waiting for update ${id} of ${KEY} after 1 s: ROLLING_FORWARD: batch 1/2, 0/4 instances updated$`));

    const aborted = await cli('update', 'abort', KEY);
    expect(aborted).toMatchObject({ code: 0, stdout: `Aborted update ${id} of ${KEY}.\n` });
    const ended = await cli('--json', 'update', 'wait', KEY, '--id', id);
    expect(ended.code).toBe(1);
    expect(json(ended)).toMatchObject({ job: KEY, id, status: 'ABORTED' });

    const none = await cli('update', 'pause', KEY);
    expect(none.code).toBe(1);
    expect(oneErrorLine(none)).toBe(`aurora-ts: job ${KEY} has no active update (name one with --id)`);
  });

  it('rolls an update back, and update wait reports it: exit 1', async () => {
    // One instance at a time, watched 2 s: still rolling forward when the rollback arrives.
    const started = json<{ id: string }>(await cli('--json', 'update', 'start', svc('back', {}, { strategy: 'queue', batchSize: 1, watchSecs: 2 })));
    const rolling = await cli('update', 'rollback', KEY);
    expect(rolling).toMatchObject({ code: 0, stdout: `Rolling back update ${started.id} of ${KEY}.\n` });
    const waited = await cli('update', 'wait', KEY);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(new RegExp(`update ${started.id} of ${KEY}: ROLLED_BACK: \\d/\\d instances? rolled back`));
    expect(json<{ status: string }>(await cli('--json', 'update', 'info', KEY, '--id', started.id)).status).toBe('ROLLED_BACK');
  });

  it('pulses an update that waits for pulses', async () => {
    const started = json<{ id: string }>(await cli('--json', 'update', 'start', svc('pulsed', {}, { watchSecs: 30, pulseIntervalSecs: 60 })));
    expect(json<{ status: string }>(await cli('--json', 'update', 'info', KEY)).status).toBe('ROLL_FORWARD_AWAITING_PULSE');
    const pulsed = await cli('update', 'pulse', KEY);
    expect(pulsed).toMatchObject({ code: 0, stdout: `Pulsed update ${started.id} of ${KEY}: OK.\n` });
    expect(json<{ status: string }>(await cli('--json', 'update', 'info', KEY)).status).toBe('ROLLING_FORWARD');
    expect((await cli('update', 'abort', KEY)).code).toBe(0);
    // A pulse for an update that ended says so.
    expect(json(await cli('--json', 'update', 'pulse', KEY, '--id', started.id))).toEqual({ job: KEY, id: started.id, pulse: 'FINISHED' });
  });

  it('commands on a job without updates fail with one line', async () => {
    const info = await cli('update', 'info', 'local/www-data/prod/never');
    expect(info.code).toBe(1);
    expect(oneErrorLine(info)).toBe('aurora-ts: job local/www-data/prod/never has no updates');
    const wait = await cli('update', 'wait', 'local/www-data/prod/never');
    expect(wait.code).toBe(1);
    expect(oneErrorLine(wait)).toBe('aurora-ts: job local/www-data/prod/never has no updates');
    for (const verb of ['resume', 'abort', 'rollback', 'pulse']) {
      const result = await cli('update', verb, 'local/www-data/prod/never');
      expect(result.code, verb).toBe(1);
      expect(oneErrorLine(result)).toContain('has no active update');
    }
    const cron = await cli('update', 'start', jobFile(dir, 'nightly', { service: false, cron: { schedule: '0 2 * * *' } }));
    expect(cron.code).toBe(2);
    expect(oneErrorLine(cron)).toMatch(/cron jobs are not updated; use "aurora-ts cron schedule/);
  });

  it('shows a spinner with the batch on a terminal', async () => {
    const result = await onTerminal(['update', 'start', svc('tty'), '--wait'], { ...fixture.env, TERM: 'xterm-256color' });
    expect(result.code).toBe(0);
    expect(result.output).toContain('\u001b[?25l');
    expect(result.output).toMatch(/✔.*ROLLED_FORWARD: batch 2\/2, 4\/4 instances updated \(0-3\)/);
  });
});
