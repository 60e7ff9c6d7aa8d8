import { describe, expect, it } from 'vitest';
import { LoginGate } from '../../src/scheduler/auth/login-gate.js';
import { clientOf } from '../../src/scheduler/client-address.js';

/** A check the test finishes by hand, recording when it started. */
function manual(started: string[], name: string): { run: () => Promise<boolean>; finish(ok: boolean): void } {
  let finish: (ok: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => (finish = resolve));
  return {
    run: () => {
      started.push(name);
      return done;
    },
    finish: (ok) => finish(ok),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('LoginGate', () => {
  it('runs two checks at once and keeps the last slot for a client without failures', async () => {
    const gate = new LoginGate({ concurrency: 2 });
    const started: string[] = [];
    // The guesser fails once, so it has a record.
    const first = manual(started, 'g0');
    const g0 = gate.check('guesser', first.run);
    await tick();
    first.finish(false);
    expect(await g0).toBe(false);

    const guesses = Array.from({ length: 5 }, (_, i) => manual(started, `g${i + 1}`));
    const pending = guesses.map((g) => gate.check('guesser', g.run));
    await tick();
    // Only one slot for a client with failures: the other waits for a clean client.
    expect(started).toEqual(['g0', 'g1']);
    const operator = manual(started, 'op');
    const op = gate.check('operator', operator.run);
    await tick();
    expect(started).toEqual(['g0', 'g1', 'op']);
    operator.finish(true);
    expect(await op).toBe(true);
    for (const g of guesses) {
      g.finish(false);
      await tick();
    }
    expect(await Promise.all(pending)).toEqual([false, false, false, false, false]);
  });

  it('refuses past 16 waiting checks per client without running them', async () => {
    const gate = new LoginGate({ concurrency: 1 });
    const started: string[] = [];
    const checks = Array.from({ length: 20 }, (_, i) => manual(started, `c${i}`));
    const results = checks.map((c) => gate.check('a', c.run));
    await tick();
    // One running, 16 waiting, 3 refused at once.
    const refused = await Promise.all(results.slice(17));
    expect(refused).toEqual([{ refused: 'busy', retryAfterMs: 1_000 }, { refused: 'busy', retryAfterMs: 1_000 }, { refused: 'busy', retryAfterMs: 1_000 }]);
    for (const c of checks) {
      c.finish(true);
      await tick();
    }
    expect(started).toHaveLength(17);
  });

  it('backs a client off after 20 failures in a row, doubling, and a success resets it', async () => {
    let now = 0;
    const backoffs: number[] = [];
    const gate = new LoginGate({ now: () => now, onBackoff: (_c, ms) => backoffs.push(ms) });
    const fail = (): Promise<boolean> => Promise.resolve(false);
    for (let i = 0; i < 20; i++) expect(await gate.check('x', fail)).toBe(false);
    expect(await gate.check('x', fail)).toEqual({ refused: 'backoff', retryAfterMs: 1_000 });
    expect(await gate.check('y', () => Promise.resolve(true))).toBe(true); // another client is not affected
    now += 1_000;
    expect(await gate.check('x', fail)).toBe(false);
    expect(await gate.check('x', fail)).toEqual({ refused: 'backoff', retryAfterMs: 2_000 });
    expect(backoffs).toEqual([1_000, 2_000]);
    now += 2_000;
    expect(await gate.check('x', () => Promise.resolve(true))).toBe(true);
    expect(await gate.check('x', fail)).toBe(false); // reset: one failure is not a back-off
    expect(await gate.check('x', fail)).toBe(false);
  });

  it('names IPv4 clients by address and IPv6 clients by their /64', () => {
    expect(clientOf('127.0.0.2')).toBe('127.0.0.2');
    expect(clientOf('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientOf('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(clientOf('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(clientOf('::1')).toBe('0:0:0:0::/64');
    expect(clientOf(undefined)).toBe('unknown');
  });
});
