/**
 * Shiro's WildcardPermission, which Aurora's INI realm uses: parts split on `:`, sub-parts on `,`,
 * `*` matches anything, comparison is case-insensitive, and a granted permission with fewer parts
 * implies every longer one it is a prefix of (`thrift.AuroraSchedulerManager` grants every RPC of
 * that service on every job).
 */

export class WildcardPermission {
  readonly text: string;
  private readonly parts: ReadonlyArray<ReadonlySet<string>>;

  constructor(text: string) {
    const trimmed = text.trim();
    if (trimmed === '') throw new Error('a permission may not be empty');
    const parts = trimmed
      .toLowerCase()
      .split(':')
      .map((part) =>
        part
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );
    if (parts.some((p) => p.length === 0)) throw new Error(`permission "${trimmed}" has an empty part`);
    this.text = trimmed;
    this.parts = parts.map((p) => new Set(p));
  }

  /** Whether holding this permission allows what `wanted` asks for. */
  implies(wanted: WildcardPermission): boolean {
    let i = 0;
    for (const asked of wanted.parts) {
      // Shorter granted permissions imply everything below them.
      if (i >= this.parts.length) return true;
      const granted = this.parts[i] as ReadonlySet<string>;
      if (!granted.has('*') && ![...asked].every((s) => granted.has(s))) return false;
      i += 1;
    }
    // Granted parts beyond what was asked must be wildcards.
    for (; i < this.parts.length; i += 1) {
      if (!(this.parts[i] as ReadonlySet<string>).has('*')) return false;
    }
    return true;
  }

  toString(): string {
    return this.text;
  }
}
