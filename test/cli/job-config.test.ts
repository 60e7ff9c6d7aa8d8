/**
 * Aurora's `--config FILE` on `job kill`, `killall`, `restart` and `add`, through the CLI (in-process) against
 * a local scheduler: the file must hold the key's job (Aurora loads it only for its API hooks, which
 * aurora-ts job files do not have), then the verb runs as without it; a mismatch or a `.aurora` file is
 * one line, exit 2, and nothing changes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, jobFile, oneErrorLine, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();
const { cli } = useLocalScheduler();
const KEY = 'local/www-data/prod/cfg';

async function active(): Promise<number[]> {
  const tasks = json<{ tasks: { instance: number; state: string }[] }>(await cli('--json', 'task', 'list', KEY)).tasks;
  return tasks.filter((t) => ['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING'].includes(t.state)).map((t) => t.instance).sort();
}

describe("Aurora's --config on kill, killall, restart and add", () => {
  it('checks that the file holds the job, then acts as without it; refuses another job and .aurora files', { timeout: 60_000 }, async () => {
    const file = jobFile(dir, 'cfg', { instances: 3 });
    expect((await cli('job', 'create', file, '--wait-until', 'RUNNING')).code).toBe(0);
    const other = jobFile(dir, 'other', { instances: 1 });

    const mismatch = await cli('job', 'killall', KEY, '--config', other);
    expect(mismatch.code).toBe(2);
    expect(oneErrorLine(mismatch)).toBe(`aurora-ts: job key ${KEY} does not match the job in ${other} (local/www-data/prod/other) (give the file's key, or the file alone)`);
    const pystachio = join(dir, 'cfg.aurora');
    writeFileSync(pystachio, 'jobs = []\n');
    const aurora = await cli('job', 'restart', `${KEY}/0`, '--config', pystachio);
    expect(aurora.code).toBe(2);
    expect(oneErrorLine(aurora)).toBe(`aurora-ts: --config ${pystachio}: Aurora .aurora configs are not read, and restart needs none (run aurora-ts job restart ${KEY}/0)`);
    expect(await active()).toEqual([0, 1, 2]);

    const killed = await cli('job', 'kill', `${KEY}/2`, '--config', file, '--wait');
    expect(killed.code, killed.stderr).toBe(0);
    expect(await active()).toEqual([0, 1]);
    const restarted = await cli('job', 'restart', `${KEY}/1`, '--config', file, '--watch-secs', '0');
    expect(restarted.code, restarted.stderr).toBe(0);
    const added = await cli('job', 'add', `${KEY}/0`, '1', '--config', file);
    expect(added.code, added.stderr).toBe(0);
    const all = await cli('job', 'killall', KEY, '--config', file, '--wait');
    expect(all.code, all.stderr).toBe(0);
    expect(await active()).toEqual([]);
  });
});
