// scripts/gen-thrift.mjs: the committed Apache Thrift output is current, and
// --check names the files that drifted.

import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = new URL('../../scripts/gen-thrift.mjs', import.meta.url).pathname;
const temp = mkdtempSync(join(tmpdir(), 'gen-thrift-test-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function run(...args: string[]) {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
}

describe('scripts/gen-thrift.mjs', () => {
  it('src/gen/thrift matches what the Thrift compiler makes of thrift/api.thrift', () => {
    const r = run('--check');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('is up to date');
    expect(r.status).toBe(0);
  });

  it('generates the three services, the types and a CommonJS package.json', () => {
    const out = join(temp, 'fresh');
    const r = run('--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('generated 9 files');
    expect(JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    expect(readFileSync(join(out, 'AuroraAdmin.js'), 'utf8')).toContain("require('./AuroraSchedulerManager')");
  });

  it('--check lists changed, missing and extra files and exits 1', () => {
    const out = join(temp, 'stale');
    expect(run('--out', out).status).toBe(0);
    appendFileSync(join(out, 'api_types.js'), '// edited by hand\n');
    rmSync(join(out, 'ReadOnlyScheduler.d.ts'));
    appendFileSync(join(out, 'notes.txt'), 'x');
    const r = run('--check', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('differs:  api_types.js');
    expect(r.stderr).toContain('missing:  ReadOnlyScheduler.d.ts');
    expect(r.stderr).toContain('extra:    notes.txt');
  });
});
