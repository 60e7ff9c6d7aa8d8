/**
 * `job restart` as Aurora's client does it, through the CLI (in-process) against a local scheduler with
 * real processes: a rolling restart in batches with progress lines and a --json result, and a batch
 * whose new tasks crash, which stops the restart with the failure limit's message.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executorsFile, json, jobFile, oneErrorLine, runCli, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();
const broken = join(dir, 'broken');
const local = useLocalScheduler(() => ({
  // `fragile` runs for good until `broken` exists; from then on each new task dies after half a second.
  executors: executorsFile(dir, { steady: 'exec sleep 60', fragile: `if [ -e ${broken} ]; then sleep 0.5; exit 1; fi; exec sleep 60` }),
}));
const { cli } = local;
// A rolling restart lasts as long as its batches: more than runCli's default 20 s guard on a loaded machine.
const restart = (...args: string[]) => runCli(args, { env: local.env, timeoutMs: 60_000 });

const FAST = ['--healthcheck-interval-seconds', '0.2'];

describe('job restart', () => {
  it('restarts in batches, printing each batch, and says what it did in --json', { timeout: 120_000 }, async () => {
    const key = 'local/www-data/prod/steady';
    expect((await cli('job', 'create', jobFile(dir, 'steady', { instances: 3, executor: { name: 'steady' } }), '--wait-until', 'RUNNING')).code).toBe(0);
    const human = await restart('job', 'restart', key, '--batch-size', '2', '--watch-secs', '1', ...FAST);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`Job ${key} restarted successfully.\n`);
    const stderr = human.stderr.split('\n');
    expect(stderr).toContain('batch 1: restarted 0-1');
    expect(stderr).toContain('batch 2: restarted 2');
    expect(stderr.some((l) => /^batch 1: 0 up for 1 s; waiting: /.test(l))).toBe(true);

    const result = await restart('--json', 'job', 'restart', `${key}/2,0`, '--watch-secs', '0', ...FAST);
    expect(result.code).toBe(0);
    expect(json(result)).toEqual({
      job: key,
      restarted: true,
      instances: [0, 2],
      batches: [{ instances: [0], failed: [] }, { instances: [2], failed: [] }],
      failures: {},
    });
    expect(result.stderr).toBe('');
  });

  it('stops with the failure limit when a batch does not get healthy', { timeout: 120_000 }, async () => {
    const key = 'local/www-data/prod/fragile';
    expect((await cli('job', 'create', jobFile(dir, 'fragile', { instances: 2, executor: { name: 'fragile' } }), '--wait-until', 'RUNNING')).code).toBe(0);
    writeFileSync(broken, '');
    const result = await restart('--json', 'job', 'restart', key, '--watch-secs', '10', ...FAST);
    expect(result.code).toBe(1);
    expect(oneErrorLine(result)).toBe(
      "aurora-ts: restart of www-data/prod/fragile stopped: 1 instance failed more than 0 times (instance 0 failed 1 time), more than the 0 failed instances allowed; a failed instance's new task did not stay RUNNING for 10 s",
    );
    // Instance 1 was never touched: the restart stopped after the first batch.
    expect(json(result)).toEqual({ job: key, restarted: false, instances: [0, 1], batches: [{ instances: [0], failed: [0] }], failures: { 0: 1 } });
  });

  it('refuses bad limits before sending anything', async () => {
    const bad = await cli('job', 'restart', 'local/www-data/prod/steady', '--batch-size', '0');
    expect(bad.code).toBe(2);
    expect(oneErrorLine(bad)).toMatch(/--batch-size/);
    const none = await cli('job', 'restart', 'local/www-data/prod/never');
    expect(none.code).toBe(1);
    expect(oneErrorLine(none)).toBe('aurora-ts: job local/www-data/prod/never has no active instances to restart');
  });
});
