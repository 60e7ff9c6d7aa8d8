/**
 * Hostile archives against the fetcher: chains of links that each look inside on their own but lead
 * out once they exist on disk. The archives are written by Python's zipfile and tarfile (real writers,
 * present wherever these tests run), the fetch is the runner's own, before the task starts; the sandbox
 * sits three levels below `base`, so `../../..` from it lands in `base`, where the victim file lives.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchTask } from '../../src/scheduler/runner/index.js';
import { report, tempDir } from './helpers.js';

/** Writes archives from a JSON list of members: [kind, name, data-or-target]. */
const WRITER = String.raw`
import io, json, sys, tarfile, zipfile
out, kind, members = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if kind == 'zip':
    with zipfile.ZipFile(out, 'w') as z:
        for type_, name, data in members:
            if type_ == 'bigsymlink':
                # data is a size: a deflated target of that many bytes, written in chunks
                info = zipfile.ZipInfo(name)
                info.create_system = 3
                info.external_attr = (0o120777 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                with z.open(info, 'w', force_zip64=True) as out:
                    left = int(data)
                    while left > 0:
                        out.write(b'a' * min(left, 1 << 20))
                        left -= 1 << 20
                continue
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = ((0o120777 if type_ == 'symlink' else 0o100644) << 16)
            z.writestr(info, data)
else:
    with tarfile.open(out, 'w') as t:
        for type_, name, data in members:
            info = tarfile.TarInfo(name)
            if type_ == 'suid':
                # data is the owner's uid: a set-uid, set-gid program owned by it
                body = b'#!/bin/sh\nid\n'
                info.size, info.mode, info.uid, info.gid = len(body), 0o6755, int(data), int(data)
                t.addfile(info, io.BytesIO(body))
                continue
            if type_ == 'file':
                info.size = len(data.encode())
                t.addfile(info, io.BytesIO(data.encode()))
                continue
            info.type = tarfile.SYMTYPE if type_ == 'symlink' else tarfile.LNKTYPE
            info.linkname = data
            t.addfile(info)
`;

type Member = ['file' | 'symlink' | 'hardlink' | 'bigsymlink' | 'suid', string, string];

/** Each target stays inside as text; on disk c1 is the sandbox's parent, c2 the one above, c3 is `base`. */
const CLIMB: Member[] = [
  ['symlink', 'a', '.'],
  ['symlink', 'c1', 'a/..'],
  ['symlink', 'c2', 'c1/..'],
  ['symlink', 'c3', 'c2/..'],
];

let base: string;
let counter = 0;

function archive(kind: 'zip' | 'tar', members: Member[]): string {
  counter += 1;
  const file = join(base, `hostile-${counter}.${kind}`);
  execFileSync('python3', ['-c', WRITER, file, kind, JSON.stringify(members)]);
  return file;
}

/** Fetches `file` (then `more`) into a fresh sandbox three levels below `base`; returns the outcome and the sandbox. */
async function fetchInto(file: string, more: string[] = []): Promise<{ state: string; message: string; sandbox: string }> {
  counter += 1;
  const sandbox = join(base, `x${counter}`, 'y', 'sandbox');
  mkdirSync(sandbox, { recursive: true });
  const outcome = await launchTask({ taskId: `archive-${process.pid}-${counter}`, executorId: `e-${counter}`, sandboxDir: sandbox, command: { value: 'true', shell: true }, uris: [file, ...more].map((value) => ({ value })) }).done;
  return { state: outcome.state, message: outcome.message ?? '', sandbox };
}

/** `base/<name>` for the sandbox of {@link fetchInto}: where `../../..` from it points. */
const victim = (sandbox: string, name: string) => join(sandbox, '..', '..', '..', name);

describe('hostile archives through the fetcher', () => {
  beforeAll(() => {
    base = tempDir('aurora-ts-archives-');
    writeFileSync(join(base, 'victim.txt'), 'original\n');
  });

  it('zip: a -> ., a/a/a/b -> ../../.., a/a/a/b/PWNED_BY_ZIP is refused and writes nothing outside', async () => {
    const zip = archive('zip', [
      ['symlink', 'a', '.'],
      ['symlink', 'a/a/a/b', '../../..'],
      ['file', 'a/a/a/b/PWNED_BY_ZIP', 'pwned\n'],
    ]);
    const { state, message, sandbox } = await fetchInto(zip);
    expect(state).toBe('FAILED');
    expect(message).toMatch(/archive member "a\/a\/a\/b" passes through the symbolic link "a"/);
    expect(existsSync(victim(sandbox, 'PWNED_BY_ZIP'))).toBe(false);
    expect(readdirSync(base).filter((f) => f.startsWith('PWNED'))).toEqual([]);
  });

  it('zip: the same chain cannot replace an existing file outside', async () => {
    const zip = archive('zip', [
      ['symlink', 'a', '.'],
      ['symlink', 'a/a/a/b', '../../..'],
      ['file', 'a/a/a/b/victim.txt', 'replaced\n'],
    ]);
    const { state, sandbox } = await fetchInto(zip);
    expect(state).toBe('FAILED');
    expect(readFileSync(victim(sandbox, 'victim.txt'), 'utf8')).toBe('original\n');
  });

  it('zip: links whose targets climb through other links (c1 -> a/.. with a -> .) are refused and removed', async () => {
    const zip = archive('zip', [...CLIMB, ['file', 'c3/victim.txt', 'replaced\n']]);
    const { state, message, sandbox } = await fetchInto(zip);
    expect(state).toBe('FAILED');
    expect(message).toMatch(/archive symlink "c1" -> "a\/\.\." points outside the sandbox/);
    expect(readFileSync(join(base, 'victim.txt'), 'utf8')).toBe('original\n');
    expect(readdirSync(sandbox).filter((f) => f.startsWith('c'))).toEqual([]);
  });

  it('tar: the same chains are refused and write nothing outside', async () => {
    const chain = archive('tar', [
      ['symlink', 'a', '.'],
      ['symlink', 'a/a/a/b', '../../..'],
      ['file', 'a/a/a/b/PWNED_BY_TAR', 'pwned\n'],
    ]);
    expect((await fetchInto(chain)).state).toBe('FAILED');
    const through = archive('tar', [...CLIMB, ['file', 'c3/victim.txt', 'replaced\n']]);
    expect((await fetchInto(through)).state).toBe('FAILED');
    expect(readdirSync(base).filter((f) => f.startsWith('PWNED'))).toEqual([]);
    expect(readFileSync(join(base, 'victim.txt'), 'utf8')).toBe('original\n');
  });

  it('tar: a hard link through such a link never leaves a foreign file in the sandbox', async () => {
    const hard = archive('tar', [...CLIMB, ['hardlink', 'h', 'c3/victim.txt']]);
    const { state, message, sandbox } = await fetchInto(hard);
    expect(state).toBe('FAILED');
    expect(message).toMatch(/Cannot extract through symbolic link|points outside the sandbox/);
    // The victim keeps its one name: no path in the sandbox shares its inode (the endpoint would serve it).
    expect(statSync(join(base, 'victim.txt')).nlink).toBe(1);
    expect(existsSync(join(sandbox, 'h'))).toBe(false);
  });

  it('zip: a symlink entry with a 256 MiB target (256 KiB deflated) is refused before it is read', async () => {
    const size = 256 * 1024 * 1024;
    const zip = archive('zip', [['bigsymlink', 'link', String(size)]]);
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const { state, message } = await fetchInto(zip);
    const ms = Math.round(performance.now() - t0);
    const grewMb = Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20);
    report('zip symlink with a huge target', { bytes: size, ms, rssGrowthMb: grewMb });
    expect(state).toBe('FAILED');
    expect(message).toMatch(/archive symlink "link" has a 268435456-byte target \(at most 4096\)$/);
    expect(grewMb).toBeLessThan(64);
  }, 20_000);

  it("tar: members keep neither the archive's owners nor set-uid bits, even when a later URI fails", async () => {
    const tarball = archive('tar', [
      ['suid', 'rootshell', '0'],
      ['suid', 'theirs', '1234'],
    ]);
    // The second URI fails, so the sandbox is never handed to a task user: what was unpacked stays as is.
    const { state, sandbox } = await fetchInto(tarball, [join(base, 'missing.bin')]);
    expect(state).toBe('FAILED');
    for (const name of ['rootshell', 'theirs']) {
      const info = statSync(join(sandbox, name));
      expect({ name, special: (info.mode & 0o7000).toString(8), uid: info.uid }).toEqual({ name, special: '0', uid: process.getuid!() });
    }
  });
});
