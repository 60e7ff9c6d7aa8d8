/**
 * The shape of a command's spec (arguments, flags, help text), the input type a verb's module gets
 * from it ({@link VerbInput}), and the helpers that tie a spec to the module that runs it ({@link verb}).
 * Specs live in src/cli/commands/<noun>/index.ts, which hold no verb code: `--help` loads them all.
 */
import type { CliContext } from './context.js';

export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
  /** Takes the rest of the arguments (a list). */
  variadic?: boolean;
  /**
   * Optional although a required argument follows (Aurora's `KEY FILE` form): given one value, the
   * command gets it as the next argument and this one unset.
   */
  leading?: boolean;
}

export interface OptionSpec {
  /** Commander's form: `'-l, --ssh-user <user>'` (a value), `'--wait'` (a switch), `'--x [value]'` (an optional value). */
  flags: string;
  description: string;
  choices?: readonly string[];
  parse?: 'positiveNumber' | 'positiveInteger' | 'nonNegativeNumber' | 'nonNegativeInteger' | 'duration';
  default?: unknown;
  env?: string;
  /** The option must be given. */
  required?: boolean;
  /** May be given several times; the command gets the values as a list. */
  repeatable?: boolean;
}

/** What a verb's spec says, without the code that runs it. */
export interface VerbShape {
  name: string;
  /** Other names, e.g. Aurora's client's name of the same verb. */
  aliases?: readonly string[];
  summary: string;
  args?: readonly ArgSpec[];
  options?: readonly OptionSpec[];
  examples?: readonly string[];
}

/** The input as the program builds it from the command line: the spec's {@link VerbInput}, unchecked. */
export type ParsedInput = Readonly<Record<string, unknown>>;

export interface VerbModule<Input = ParsedInput> {
  // A property, not a method, so that its parameter is checked contravariantly (strictFunctionTypes).
  run: (ctx: CliContext, input: Input) => Promise<number | void>;
}

export interface VerbSpec extends VerbShape {
  load(): Promise<VerbModule>;
}

export interface NounSpec {
  name: string;
  summary: string;
  verbs: readonly VerbSpec[];
}

/** `ssh-user` → `sshUser`, as commander names an option's value. */
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

// Distributive (as is OptKey): a filter that leaves no argument gives no key, not a `string` index.
type ArgKey<A> = A extends { name: infer N extends string } ? Camel<N> : never;
type ArgValue<A> = A extends { variadic: true } ? string[] : string;
type OptionalArg = { optional: true } | { leading: true };

/** `'-l, --ssh-user <user>'` → `ssh-user`; `'-v'` → `v`. */
type LongFlag<F extends string> = F extends `${string}--${infer Rest}` ? (Rest extends `${infer Name} ${string}` ? Name : Rest) : F extends `-${infer Short}` ? Short : F;
type OptKey<O> = O extends { flags: infer F extends string } ? (LongFlag<F> extends `no-${infer N}` ? Camel<N> : Camel<LongFlag<F>>) : never;
type OptBase<O> = O extends { parse: string } ? number : O extends { choices: readonly (infer C)[] } ? C : string;
type Negated = { flags: `${string}--no-${string}` };
type OptValue<O> = O extends Negated
  ? boolean
  : O extends { flags: `${string}<${string}>` }
    ? O extends { repeatable: true } ? OptBase<O>[] : OptBase<O>
    : O extends { flags: `${string}[${string}]` }
      ? OptBase<O> | true
      : boolean;
/** Options always set: commander gives a `--no-x` switch `true` by default. */
type GivenOption = Negated | { required: true } | { default: {} | null };

type ArgsInput<A extends ArgSpec> = { [X in Exclude<A, OptionalArg> as ArgKey<X>]: ArgValue<X> } & { [X in Extract<A, OptionalArg> as ArgKey<X>]?: ArgValue<X> };
type OptionsInput<O extends OptionSpec> = { [X in Extract<O, GivenOption> as OptKey<X>]: OptValue<X> } & { [X in Exclude<O, GivenOption> as OptKey<X>]?: OptValue<X> };

/**
 * The input a verb's `run(ctx, input)` gets, derived from its spec (made with {@link spec}, which
 * keeps the literal types). Arguments by name, options by long flag, both camelCased:
 *
 * - `{ name: 'task-id' }` → `taskId: string`; `optional`/`leading` → `taskId?: string`; `variadic` → `string[]`
 * - `'--wait'` → `wait?: boolean`; `'--no-color'` → `color: boolean`
 * - `'--wait-timeout <seconds>'` → `waitTimeout?: string`, with `parse` → `number`,
 *   with `choices: ['a', 'b']` → `'a' | 'b'`, `repeatable` → `string[]`; `'--x [v]'` → `x?: string | true`
 * - `required: true` or a `default` → the property is not optional
 */
export type VerbInput<S> = Simplify<
  (S extends { args: readonly (infer A extends ArgSpec)[] } ? ArgsInput<A> : {}) & (S extends { options: readonly (infer O extends OptionSpec)[] } ? OptionsInput<O> : {})
>;

/** A verb's spec with its literal types kept, for {@link VerbInput}. */
export function spec<const S extends VerbShape>(shape: S): S {
  return shape;
}

/** An option several specs share, with its literal types kept. */
export function option<const O extends OptionSpec>(o: O): O {
  return o;
}

/** Options several specs share (spread into their `options`), with their literal types kept. */
export function options<const O extends readonly OptionSpec[]>(o: O): O {
  return o;
}

/** An argument several specs share, with its literal types kept. */
export function arg<const A extends ArgSpec>(a: A): A {
  return a;
}

/** The input a module's `run` takes. */
type RunInput<M> = M extends { run: (ctx: CliContext, input: infer I) => Promise<number | void> } ? NonNullable<I> : {};

/**
 * Nothing when the module's input names only what the spec defines; else a type no module matches,
 * which names the extra properties (a flag or argument the spec lacks would never be set).
 */
type OnlySpecified<S, M> = keyof RunInput<M> extends keyof VerbInput<S>
  ? unknown
  : { run: `input names ${Exclude<keyof RunInput<M>, keyof VerbInput<S>> & string}, which the spec does not define` };

/**
 * The spec of a noun's verb, with the module that runs it (imported only when it runs). The module's
 * `run` must take what the spec gives ({@link VerbInput}): nothing more, nothing required that it may
 * leave out.
 */
export function verb<const S extends VerbShape, M extends VerbModule<VerbInput<S>>>(shape: S, load: () => Promise<M & OnlySpecified<S, M>>): VerbSpec {
  return { ...shape, load: loader<VerbInput<S>>(load) };
}

function loader<Input>(load: () => Promise<VerbModule<Input>>): () => Promise<VerbModule> {
  return async () => {
    const module = await load();
    // The program builds the input from this same spec's arguments and options (src/cli/main.ts).
    return { run: (ctx, input) => module.run(ctx, input as Input) };
  };
}

/** The camelCased name commander gives an argument or a long flag: `task-id` → `taskId`. */
export function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

// Arguments and options several nouns share.
export const KEY = arg({ name: 'key', description: 'job key cluster/role/env/name' });
export const KEY_INSTANCES = arg({ name: 'key', description: 'job key cluster/role/env/name, optionally /instances (0-2 or 0,1-3,5)' });
export const JOB_FILE = arg({ name: 'file', description: 'job file (.json, .js, .mjs, or .ts with tsx installed)' });
/** Aurora's client form `CLUSTER/ROLE/ENV/NAME CONFIG`: the key, when given, must be the file's job. */
export const FILE_KEY = arg({
  name: 'key',
  description: "the file's job key cluster/role/env/name, as Aurora's client takes it (optional; must match the file)",
  optional: true,
  leading: true,
});
export const FILE_KEY_INSTANCES = arg({ ...FILE_KEY, description: "the file's job key, optionally /instances, as Aurora's client takes it (optional; must match the file)" });
export const CLUSTER_ARG = arg({ name: 'cluster', description: 'cluster name' });
export const CLUSTER = option({ flags: '--cluster <name>', description: 'cluster to use (overrides the job file\'s "cluster"; default local)' });
export const MESSAGE = option({ flags: '--message <text>', description: 'message recorded with the request' });
export const WAIT_TIMEOUT = option({ flags: '--wait-timeout <seconds>', description: 'give up waiting after this long (exit 1)', parse: 'positiveNumber' });
