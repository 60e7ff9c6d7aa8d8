/** Small helpers that keep job data plain: arrays instead of Sets, no undefined members. */

export function toArray<T>(value: readonly T[] | ReadonlySet<T> | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return [...value];
}

/** JSON with object keys sorted, for comparing parsed JSON (not Thrift structs: see scheduler/tasks.ts canonicalJson). */
export function sortedKeysJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** A deep copy as plain data: Sets become arrays, undefined and null members are dropped. */
export function plainCopy<T>(value: T): T {
  return strip(value) as T;
}

function strip(value: unknown): unknown {
  if (value instanceof Set) return [...value].map(strip);
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      out[k] = strip(v);
    }
    return out;
  }
  return value;
}

/** A shallow copy of a builder, of its own class: how the immutable builders start their next value. */
export function builderCopy<T extends object>(self: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(self) as object) as T, self);
}
