/**
 * Read answers kept between polls. Clients ask the same questions over and over (the web UI, `job
 * list`, update waiters, gorealis' monitors) while nothing changes; building an answer and encoding it
 * cost far more than copying the bytes it encoded to last time.
 */
import { EncodedOnce } from '../protocol/index.js';

/** `value` as an EncodedOnce of `struct`, typed as the value: only for putting in a reply. */
export function encodedOnce<T>(struct: string, value: T): T {
  return new EncodedOnce(struct, value) as unknown as T;
}

/**
 * Answers by question (a string key) while a version number has not moved: the store bumps its
 * version at every change, and every kept answer is stale from then on. At most `max` are kept (all
 * are dropped when it is reached), so questions about anything at all cannot fill memory.
 */
export class KeptAnswers<T> {
  private readonly kept = new Map<string, { version: number; answer: T }>();

  constructor(private readonly max = 64) {}

  get(key: string, version: number, make: () => T): T {
    const kept = this.kept.get(key);
    if (kept?.version === version) return kept.answer;
    const answer = make();
    if (this.kept.size >= this.max) this.kept.clear();
    this.kept.set(key, { version, answer });
    return answer;
  }
}
