/**
 * What stands between a flood of password guesses and scrypt. Each check costs ~16 MiB and tens of
 * ms on libuv's small threadpool (shared with every fs call), so without a gate 300 concurrent guesses
 * queue a valid login seconds behind them. The gate
 * - runs at most `concurrency` checks at once, leaving the other pool threads to file I/O;
 * - takes waiting checks in turn from each client (remote address), clients without recent failures
 *   first, and keeps one slot for those alone, so a pile of guesses does not delay a valid login;
 * - holds at most `perClient` waiting checks per client (and `maxWaiting` in all) and refuses the rest
 *   at once (no scrypt);
 * - after `failureThreshold` failures in a row from a client, refuses its checks for a back-off that
 *   doubles up to `maxBackoffMs`; a success resets it.
 */

export interface LoginGateOptions {
  /** Password checks running at once (default 2 of libuv's 4 threads). */
  concurrency?: number;
  /** Checks one client may have waiting (default 16); more are refused. */
  perClient?: number;
  /** Checks waiting over all clients (default 1024); more are refused. */
  maxWaiting?: number;
  /** Failures in a row before a client is backed off (default 20). */
  failureThreshold?: number;
  /** First back-off (default 1 s), doubling per further failure up to `maxBackoffMs` (default 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  /** Told each time a client's back-off starts or grows. */
  onBackoff?: (client: string, ms: number) => void;
}

/** Why a check was not run: too many waiting from this client, or the client is backed off. */
export interface Refusal {
  refused: 'busy' | 'backoff';
  retryAfterMs: number;
}

interface Waiting {
  start: () => void;
}

interface Record {
  failures: number;
  until: number;
}

const MAX_CLIENTS_REMEMBERED = 10_000;

export class LoginGate {
  private readonly concurrency: number;
  private readonly perClient: number;
  private readonly maxWaiting: number;
  private waiting = 0;
  private readonly failureThreshold: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;
  private readonly onBackoff: LoginGateOptions['onBackoff'];
  private running = 0;
  /** Waiting checks by client, in the order clients take turns (Map keeps insertion order). */
  private readonly queues = new Map<string, Waiting[]>();
  private readonly records = new Map<string, Record>();

  constructor(options: LoginGateOptions = {}) {
    this.concurrency = options.concurrency ?? 2;
    this.perClient = options.perClient ?? 16;
    this.maxWaiting = options.maxWaiting ?? 1024;
    this.failureThreshold = options.failureThreshold ?? 20;
    this.backoffMs = options.backoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.onBackoff = options.onBackoff;
  }

  /**
   * Runs `check` (true = the password was right) when its turn comes, or refuses it without running
   * it. The outcome feeds the client's failure count.
   */
  async check(client: string, check: () => Promise<boolean>): Promise<boolean | Refusal> {
    const record = this.records.get(client);
    const wait = record ? record.until - this.now() : 0;
    if (wait > 0) return { refused: 'backoff', retryAfterMs: wait };
    const queue = this.queues.get(client) ?? [];
    if (queue.length >= this.perClient || this.waiting >= this.maxWaiting) return { refused: 'busy', retryAfterMs: 1_000 };

    this.waiting += 1;
    await new Promise<void>((start) => {
      queue.push({ start });
      if (!this.queues.has(client)) this.queues.set(client, queue);
      this.next();
    });
    let ok = false;
    try {
      ok = await check();
      return ok;
    } finally {
      this.running -= 1;
      this.settle(client, ok);
      this.next();
    }
  }

  /** Starts waiting checks while slots are free: clients without recent failures first, then one client after another. */
  private next(): void {
    while (this.running < this.concurrency && this.queues.size > 0) {
      let chosen: [string, Waiting[]] | undefined;
      for (const entry of this.queues) {
        if (!this.records.has(entry[0])) {
          chosen = entry;
          break;
        }
      }
      // The last free slot is kept for clients without failures, so a valid login never waits behind guesses.
      if (chosen === undefined && this.running >= this.concurrency - 1 && this.concurrency > 1) return;
      const [client, queue] = chosen ?? (this.queues.entries().next().value as [string, Waiting[]]);
      const waiting = queue.shift()!;
      // The client goes to the back of the line (or leaves it when it has nothing more waiting).
      this.queues.delete(client);
      if (queue.length > 0) this.queues.set(client, queue);
      this.running += 1;
      this.waiting -= 1;
      waiting.start();
    }
  }

  private settle(client: string, ok: boolean): void {
    if (ok) {
      this.records.delete(client);
      return;
    }
    const record = this.records.get(client) ?? { failures: 0, until: 0 };
    record.failures += 1;
    const over = record.failures - this.failureThreshold;
    if (over >= 0) {
      const ms = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** Math.min(over, 20));
      const until = this.now() + ms;
      // Checks already waiting when the back-off began finish later without pushing it further out.
      if (until > record.until + ms / 2) {
        record.until = until;
        this.onBackoff?.(client, ms);
      }
    }
    // Re-inserted so the oldest records are the first forgotten when too many clients are remembered.
    this.records.delete(client);
    this.records.set(client, record);
    if (this.records.size > MAX_CLIENTS_REMEMBERED) this.records.delete(this.records.keys().next().value as string);
  }
}

