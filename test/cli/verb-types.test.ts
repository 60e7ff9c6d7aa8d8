/**
 * A verb's input type comes from its spec (src/cli/spec.ts `VerbInput`), so a module cannot read a
 * flag its spec does not define. The type-level checks here are compiled by `npm run typecheck`
 * (tsconfig.test.json); the runtime checks show that the names and values the type promises
 * are the ones commander hands the verb.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { KILL } from '../../src/cli/commands/job/index.js';
import { INFO } from '../../src/cli/commands/update/index.js';
import { FORCE_STATE } from '../../src/cli/commands/admin/index.js';
import { SET } from '../../src/cli/commands/quota/index.js';
import { UPTIME } from '../../src/cli/commands/sla/index.js';
import { SSH } from '../../src/cli/commands/task/index.js';
import type { CliContext } from '../../src/cli/context.js';
import { IO } from '../../src/cli/io.js';
import { buildProgram } from '../../src/cli/main.js';
import { spec, verb, type ParsedInput, type VerbInput } from '../../src/cli/spec.js';

const EXAMPLE = spec({
  name: 'example',
  summary: 'every form a spec can take',
  args: [
    { name: 'task-id', description: 'required' },
    { name: 'hosts', description: 'optional, a list', optional: true, variadic: true },
  ],
  options: [
    { flags: '--wait-timeout <seconds>', description: 'parsed', parse: 'positiveNumber' },
    { flags: '-l, --ssh-user <user>', description: 'short and long' },
    { flags: '--wait', description: 'a switch' },
    { flags: '--no-color', description: 'a negated switch' },
    { flags: '--level [n]', description: 'an optional value' },
    { flags: '--state <state>', description: 'choices', choices: ['PENDING', 'RUNNING'] },
    { flags: '--tag <tag>', description: 'repeatable', repeatable: true },
    { flags: '--cpus <n>', description: 'required', parse: 'nonNegativeNumber', required: true },
    { flags: '--host <host>', description: 'with a default', default: '127.0.0.1' },
  ],
});

/** Runs the program in-process on `args` and returns the input it would give the verb. */
async function inputOf(args: readonly string[]): Promise<ParsedInput> {
  const sink = { write: () => true };
  let input: ParsedInput | undefined;
  const program = buildProgram(new IO({ stdout: sink, stderr: sink }), async (_spec, _noun, given) => {
    input = given;
    return 0;
  });
  await program.parseAsync([...args], { from: 'user' });
  return Object.fromEntries(Object.entries(input ?? {}).filter(([, value]) => value !== undefined));
}

describe('VerbInput', () => {
  it('names arguments and flags camelCased, typed by parse, choices, repeatable, required and default', () => {
    expectTypeOf<VerbInput<typeof EXAMPLE>>().toEqualTypeOf<{
      taskId: string;
      hosts?: string[];
      waitTimeout?: number;
      sshUser?: string;
      wait?: boolean;
      color: boolean;
      level?: string | true;
      state?: 'PENDING' | 'RUNNING';
      tag?: string[];
      cpus: number;
      host: string;
    }>();
    expectTypeOf<VerbInput<typeof INFO>>().toEqualTypeOf<{ key: string; updateId?: string; id?: string }>();
    expectTypeOf<VerbInput<typeof SET>>().toEqualTypeOf<{ target: string; cpus: number; ramMb: number; diskMb: number }>();
    // @ts-expect-error -- `job kill` has no --count flag: a module cannot read one.
    const read = (input: VerbInput<typeof KILL>) => input.count;
    expect(typeof read).toBe('function');
  });

  it('is what commander gives the verb', async () => {
    const kill: VerbInput<typeof KILL> = { key: 'local/www-data/devel/hello/0-1', message: 'bye', wait: true, waitTimeout: 5, batchSize: 1, maxTotalFailures: 0, config: 'hello.json' };
    expect(
      await inputOf(['job', 'kill', 'local/www-data/devel/hello/0-1', '--message', 'bye', '--wait', '--wait-timeout', '5', '--batch-size', '1', '--max-total-failures', '0', '--config', 'hello.json']),
    ).toEqual(kill);
    const info: VerbInput<typeof INFO> = { key: 'local/www-data/devel/hello', updateId: 'abc' };
    expect(await inputOf(['update', 'info', 'local/www-data/devel/hello', 'abc'])).toEqual(info);
    const forceState: VerbInput<typeof FORCE_STATE> = { cluster: 'local', taskId: 'task-1', state: 'FAILED' };
    expect(await inputOf(['admin', 'force-state', 'local', 'task-1', 'FAILED'])).toEqual(forceState);
    const set: VerbInput<typeof SET> = { target: 'local/www-data', cpus: 0.5, ramMb: 64, diskMb: 128 };
    expect(await inputOf(['quota', 'set', 'local/www-data', '--cpus', '0.5', '--ram-mb', '64', '--disk-mb', '128'])).toEqual(set);
    const uptime: VerbInput<typeof UPTIME> = { key: 'local/www-data/devel/hello', percentiles: '50,75,90,95,99' };
    expect(await inputOf(['sla', 'uptime', 'local/www-data/devel/hello'])).toEqual(uptime);
    const ssh: VerbInput<typeof SSH> = { key: 'local/www-data/devel/hello/0', tunnel: ['8080:http', '9090:admin'], sshUser: 'me', executorSandbox: true };
    expect(await inputOf(['task', 'ssh', 'local/www-data/devel/hello/0', '-L', '8080:http', '-L', '9090:admin', '-l', 'me', '-e'])).toEqual(ssh);
  });

  it("a module must take what its spec gives: no flag the spec lacks, nothing required it may leave out", () => {
    const kill = verb(KILL, () => import('../../src/cli/commands/job/kill.js'));
    expect(kill.name).toBe('kill');
    const unknownFlag = { run: async (_ctx: CliContext, input: { key: string; count?: number }) => (input.count === undefined ? 0 : 1) };
    // @ts-expect-error -- input names count, which the spec does not define
    const drifted = verb(KILL, async () => unknownFlag);
    expect(drifted.name).toBe('kill');
    const required = { run: async (_ctx: CliContext, input: { key: string; wait: boolean }) => (input.wait ? 0 : 1) };
    // @ts-expect-error -- --wait may be left out: the spec gives `wait?: boolean`
    const strict = verb(KILL, async () => required);
    expect(strict.name).toBe('kill');
  });
});
