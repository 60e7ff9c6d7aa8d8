/** Job key syntax, as users type it: `cluster/role/env/name[/instances]`. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { formatInstances, formatJobKey, parseClusterRole, parseInstances, parseJobKey } from '../../src/cli/jobkey.js';

describe('parseJobKey', () => {
  it('parses keys with and without instances', () => {
    expect(parseJobKey('west/www-data/prod/hello')).toEqual({ cluster: 'west', role: 'www-data', environment: 'prod', name: 'hello' });
    expect(parseJobKey('west/www-data/prod/hello/0,1-3,5', 'optional').instances).toEqual([0, 1, 2, 3, 5]);
    expect(parseJobKey('west/www-data/prod/hello/2', 'required').instances).toEqual([2]);
  });

  it('names what is wrong', () => {
    const message = (text: string, rule?: 'forbidden' | 'optional' | 'required') => {
      try {
        parseJobKey(text, rule);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error('no error');
    };
    expect(message('west/www-data/hello')).toMatch(/expected cluster\/role\/env\/name \(it has 3 parts\)/);
    expect(message('west/www-data/prod/hello/0')).toMatch(/this command takes no instances/);
    expect(message('west/www-data/prod/hello', 'required')).toMatch(/instances are missing/);
    expect(message('west//prod/hello')).toMatch(/role is empty/);
    expect(message('west/www-data/pr od/hello')).toMatch(/environment "pr od" may contain only letters/);
    expect(message('west/www-data/prod/hello/1-', 'optional')).toMatch(/"1-" is not an instance id or range/);
    expect(message('west/www-data/prod/hello/5-2', 'optional')).toMatch(/range "5-2" ends before it starts/);
  });
});

describe('instances', () => {
  it('parses and formats ranges', () => {
    expect(parseInstances('3,0-1,1')).toEqual([0, 1, 3]);
    expect(formatInstances([5, 0, 1, 2, 7, 8])).toBe('0-2,5,7-8');
    expect(formatJobKey({ cluster: 'c', role: 'r', environment: 'prod', name: 'n', instances: [0, 1] })).toBe('c/r/prod/n/0-1');
    expect(() => parseInstances('')).toThrow(UsageError);
    expect(() => parseInstances('0-20000')).toThrow(/too large/);
  });

  it('parses CLUSTER[/ROLE]', () => {
    expect(parseClusterRole('west')).toEqual({ cluster: 'west' });
    expect(parseClusterRole('west/www-data')).toEqual({ cluster: 'west', role: 'www-data' });
    expect(() => parseClusterRole('west/www-data/prod')).toThrow(/expected CLUSTER or CLUSTER\/ROLE/);
  });
});
