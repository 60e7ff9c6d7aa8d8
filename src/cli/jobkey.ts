/**
 * Job keys as users type them, the same syntax as Aurora's client: `cluster/role/env/name`,
 * optionally `/instances` with instances like `0-2` or `0,1-3,5`. Parse errors are UsageErrors
 * that name the part that is wrong and what is allowed.
 */
import { UsageError } from './errors.js';

// Aurora's GOOD_IDENTIFIER_PATTERN (kept here, not imported from the generated code, so parsing stays light).
const IDENTIFIER = /^[\w\-.]+$/;
const MAX_IDENTIFIER = 255;
const MAX_INSTANCE = 2_147_483_647;

export interface JobKeySpec {
  cluster: string;
  role: string;
  environment: string;
  name: string;
  /** Sorted distinct instance ids, when the key named some. */
  instances?: number[];
}

export type InstancesRule = 'forbidden' | 'optional' | 'required';

const SYNTAX = 'cluster/role/env/name';

function checkPart(label: string, value: string, text: string, what = 'job key'): void {
  if (value === '') throw new UsageError(`${what} ${JSON.stringify(text)}: ${label} is empty`, `expected ${SYNTAX}`);
  if (!IDENTIFIER.test(value) || value.length > MAX_IDENTIFIER) {
    throw new UsageError(
      `${what} ${JSON.stringify(text)}: ${label} ${JSON.stringify(value)} may contain only letters, digits, "_", "-" and "." (at most ${MAX_IDENTIFIER} characters)`,
    );
  }
}

/** Parses `cluster/role/env/name[/instances]`. */
export function parseJobKey(text: string, instances: InstancesRule = 'forbidden'): JobKeySpec {
  const parts = text.split('/');
  const syntax = instances === 'forbidden' ? SYNTAX : instances === 'required' ? `${SYNTAX}/instances` : `${SYNTAX}[/instances]`;
  const maxParts = instances === 'forbidden' ? 4 : 5;
  const minParts = instances === 'required' ? 5 : 4;
  if (parts.length < minParts || parts.length > maxParts) {
    const why =
      parts.length === 5 && instances === 'forbidden'
        ? 'this command takes no instances'
        : parts.length === 4 && instances === 'required'
          ? 'instances are missing'
          : `it has ${parts.length} part${parts.length === 1 ? '' : 's'}`;
    throw new UsageError(`job key ${JSON.stringify(text)}: expected ${syntax} (${why}), e.g. local/www-data/prod/hello${instances === 'forbidden' ? '' : '/0-2'}`);
  }
  const [cluster, role, environment, name, spec] = parts as [string, string, string, string, string | undefined];
  checkPart('cluster', cluster, text);
  checkPart('role', role, text);
  checkPart('environment', environment, text);
  checkPart('name', name, text);
  const key: JobKeySpec = { cluster, role, environment, name };
  if (spec !== undefined) key.instances = parseInstances(spec, `job key ${JSON.stringify(text)}: instances`);
  return key;
}

/** Parses `0`, `0-2`, `0,1-3,5` into sorted distinct ids. */
export function parseInstances(spec: string, label = 'instances'): number[] {
  const ids = new Set<number>();
  if (spec.trim() === '') throw new UsageError(`${label} are empty`, 'expected e.g. 0, 0-2 or 0,1-3,5');
  for (const item of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (!m) throw new UsageError(`${label}: ${JSON.stringify(item)} is not an instance id or range`, 'expected e.g. 0, 0-2 or 0,1-3,5');
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first > MAX_INSTANCE || last > MAX_INSTANCE) throw new UsageError(`${label}: ${JSON.stringify(item)} is out of range (at most ${MAX_INSTANCE})`);
    if (last < first) throw new UsageError(`${label}: range ${JSON.stringify(item.trim())} ends before it starts`);
    if (last - first > 10_000) throw new UsageError(`${label}: range ${JSON.stringify(item.trim())} is too large (at most 10000 instances)`);
    for (let i = first; i <= last; i++) ids.add(i);
  }
  return [...ids].sort((a, b) => a - b);
}

/** `cluster/role/env/name`, plus `/instances` in compact range form when present. */
export function formatJobKey(key: Pick<JobKeySpec, 'cluster' | 'role' | 'environment' | 'name'> & { instances?: readonly number[] }): string {
  const base = `${key.cluster}/${key.role}/${key.environment}/${key.name}`;
  return key.instances && key.instances.length > 0 ? `${base}/${formatInstances(key.instances)}` : base;
}

/** [0,1,2,5] → `0-2,5`. */
export function formatInstances(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** The Thrift JobKey of a parsed key. */
export function thriftJobKey(key: JobKeySpec): { role: string; environment: string; name: string } {
  return { role: key.role, environment: key.environment, name: key.name };
}

/** `CLUSTER[/ROLE]` for `job list`. */
export function parseClusterRole(text: string): { cluster: string; role?: string } {
  const parts = text.split('/');
  if (parts.length > 2) throw new UsageError(`${JSON.stringify(text)}: expected CLUSTER or CLUSTER/ROLE, e.g. local or local/www-data`);
  const [cluster, role] = parts as [string, string | undefined];
  checkPart('cluster', cluster, text, 'cluster');
  if (role !== undefined) checkPart('role', role, text, 'cluster');
  return role === undefined ? { cluster } : { cluster, role };
}

/** A `job list` key: the cluster, and role/env/name patterns with Aurora's fnmatch wildcards (`*` when left out). */
export interface JobKeyPattern {
  cluster: string;
  role: string;
  environment: string;
  name: string;
}

const WILDCARD = /[*?[]/;

/** `CLUSTER[/ROLE[/ENV[/NAME]]]`, where ROLE, ENV and NAME may hold `*`, `?` and `[...]` as Aurora's `job list` takes them. */
export function parseJobKeyPattern(text: string): JobKeyPattern {
  const parts = text.split('/');
  if (parts.length > 4 || parts.some((p) => p === '')) {
    throw new UsageError(`${JSON.stringify(text)}: expected CLUSTER[/ROLE[/ENV[/NAME]]], e.g. local, local/www-data or local/*/prod/web*`);
  }
  const [cluster, role = '*', environment = '*', name = '*'] = parts as [string, string?, string?, string?];
  if (WILDCARD.test(cluster)) throw new UsageError(`${JSON.stringify(text)}: the cluster cannot be a pattern`, 'name one cluster');
  checkPart('cluster', cluster, text, 'cluster');
  for (const [field, value] of [['role', role], ['environment', environment], ['name', name]] as const) {
    // A pattern is checked as the identifier it would match, its wildcard characters aside.
    const literal = value.replace(/\[[^\]]*\]|[*?]/g, '');
    if (literal !== '' && !/^[\w.-]+$/.test(literal)) throw new UsageError(`${JSON.stringify(text)}: ${field} ${JSON.stringify(value)} may hold letters, digits, _ . - and the wildcards * ? [...]`);
  }
  return { cluster, role, environment, name };
}

/** Whether `pattern` is a wildcard pattern (else it names one value). */
export function isPattern(pattern: string): boolean {
  return WILDCARD.test(pattern);
}

/** Python's fnmatch (as Aurora's client matches job keys): `*` any run, `?` one character, `[seq]` / `[!seq]` one of / none of. */
export function matchesPattern(value: string, pattern: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        let set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (set.startsWith('!')) set = `^${set.slice(1)}`;
        source += `[${set}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(value);
}
