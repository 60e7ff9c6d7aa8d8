/**
 * ~/.netrc as Python's netrc module (used by requests, hence by Aurora's client) reads it.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNetrcSync, netrcCredentials, parseNetrc } from '../../src/discovery/netrc.js';

function home(text: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-netrc-'));
  writeFileSync(join(dir, '.netrc'), text);
  chmodSync(join(dir, '.netrc'), mode);
  return dir;
}

describe('parseNetrc', () => {
  const netrc = parseNetrc(
    [
      '# Aurora clusters',
      'machine aurora.example.com',
      'login sally',
      'password apple',
      '',
      'machine Other.Example.com login bob password "two words \\" quoted" # trailing comment',
      'macdef init',
      'machine not-a-machine login x password y',
      '',
      'machine acct.example.com account svc password pw',
      'machine aurora.example.com login sally2 password pear',
      'default login anonymous password guest',
    ].join('\n'),
  );

  it('finds a machine by host name, the last entry winning as in Python', () => {
    expect(netrcCredentials(netrc, 'aurora.example.com')).toEqual({ username: 'sally2', password: 'pear' });
  });

  it('matches host names without regard to case and reads quoted tokens', () => {
    expect(netrcCredentials(netrc, 'other.example.com')).toEqual({ username: 'bob', password: 'two words " quoted' });
  });

  it('uses the account when there is no login', () => {
    expect(netrcCredentials(netrc, 'acct.example.com')).toEqual({ username: 'svc', password: 'pw' });
  });

  it('skips macdef bodies', () => {
    expect(netrc.machines.has('not-a-machine')).toBe(false);
  });

  it('falls back to default', () => {
    expect(netrcCredentials(netrc, 'unknown.example.com')).toEqual({ username: 'anonymous', password: 'guest' });
    expect(netrcCredentials(parseNetrc('machine a login u password p'), 'b')).toBeUndefined();
  });

  it('reports a malformed file with its line and without echoing secrets', () => {
    expect(() => parseNetrc('machine a\nlogin u\npasswd s3cret\n', '/home/u/.netrc')).toThrow(
      '/home/u/.netrc:3: unknown keyword in a machine entry (allowed: login, account, password)',
    );
    expect(() => parseNetrc('machine a login')).toThrow('.netrc:1: login without a value');
  });
});

describe('loadNetrcSync', () => {
  it('reads ~/.netrc and says nothing when only the owner can read it', () => {
    const loaded = loadNetrcSync({ home: home('machine h login u password p\n'), env: {} });
    expect(loaded?.warnings).toEqual([]);
    expect(netrcCredentials(loaded!.netrc, 'h')).toEqual({ username: 'u', password: 'p' });
  });

  it('warns, without printing, when others can read the file', () => {
    const dir = home('machine h login u password p\n', 0o644);
    const loaded = loadNetrcSync({ home: dir, env: {} });
    expect(loaded?.warnings).toEqual([`${join(dir, '.netrc')} is accessible by other users (mode 644); it holds passwords: run chmod 600 ${join(dir, '.netrc')}`]);
    expect(loaded?.warnings.join()).not.toContain('p\n');
    expect(netrcCredentials(loaded!.netrc, 'h')).toEqual({ username: 'u', password: 'p' });
  });

  it('prefers $NETRC, and returns undefined when there is no file', () => {
    const dir = home('machine h login fromenv password p\n');
    const loaded = loadNetrcSync({ home: '/nonexistent', env: { NETRC: join(dir, '.netrc') } });
    expect(netrcCredentials(loaded!.netrc, 'h')?.username).toBe('fromenv');
    expect(loadNetrcSync({ home: '/nonexistent', env: {} })).toBeUndefined();
  });

  it('turns a malformed file into a warning and no credentials, as requests ignores it', () => {
    const dir = home('machine h login u bogus x\n');
    const loaded = loadNetrcSync({ home: dir, env: {} });
    expect(loaded?.netrc.machines.size).toBe(0);
    expect(loaded?.warnings).toEqual([`${join(dir, '.netrc')}:1: unknown keyword in a machine entry (allowed: login, account, password); no credentials taken from it`]);
  });
});
