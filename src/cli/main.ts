/**
 * The `aurora-ts` program: commander, noun → verb. Each verb's module is imported only when that
 * verb runs, so `--help` loads neither the Thrift code nor inquirer nor the scheduler. `main()`
 * returns the exit status (src/cli/exit-codes.ts) instead of exiting, so it can be driven in-process.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { COMMANDS } from './commands.js';
import { CliContext, type GlobalOptions } from './context.js';
import { detailFor, exitCodeFor, messageFor } from './errors.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import { IO, type InputStream, type OutputStream } from './io.js';
import { camel, type NounSpec, type OptionSpec, type VerbSpec } from './spec.js';

/**
 * What the command sees of the process it runs in; each defaults to the process's own. Embedders
 * and tests pass their own, so a command run in-process reads and writes nothing else: no
 * `process.env`, no `process.stdout` width, no `process.cwd()`.
 */
export interface MainOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Where output goes; `isTTY` decides colours and spinners, `columns` the help width. `job wizard`
   * needs a real Writable here (inquirer draws on it) and a TTY stdin with `setRawMode`.
   */
  stdout?: OutputStream;
  stderr?: OutputStream;
  /** What prompts read (`job wizard`, `scheduler hash-password`); `isTTY` decides whether they may ask. */
  stdin?: InputStream;
  /** Where relative paths on the command line start. */
  cwd?: string;
  /** Aborting it stops the command's waits and follows, as an interrupt would, without exiting the process. */
  signal?: AbortSignal;
  /** End the command with 130 on Ctrl-C (SIGINT), stopping spinners first (the binary does; in-process callers may not). */
  handleSignals?: boolean;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return Number(value);
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0.');
  return n;
}

export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected an integer >= 0.');
  return Number(value);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, secs: 1000, mins: 60_000, hrs: 3_600_000, days: 86_400_000 };

/** A time amount as Aurora's scheduler flags take it (`30secs`, `5mins`, `500ms`), in milliseconds. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|secs|mins|hrs|days)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration like 500ms, 30secs, 5mins, 1hrs or 1days.');
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

const PARSERS = { positiveNumber, positiveInteger, nonNegativeNumber, nonNegativeInteger, duration } as const;

function toOption(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.choices) option.choices(spec.choices);
  if (spec.parse) option.argParser(PARSERS[spec.parse]);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.env) option.env(spec.env);
  if (spec.required) option.makeOptionMandatory();
  if (spec.repeatable) option.argParser((value: string, previous: unknown) => [...(Array.isArray(previous) ? (previous as string[]) : []), value]);
  return option;
}

/** `error: unknown option '--x'\n(Did you mean --y?)` → one line without the `error:` prefix. */
function oneLine(text: string): string {
  return text
    .trim()
    .replace(/^error:\s*/, '')
    .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ');
}

/** The Environment section of `aurora-ts --help`. */
export const ENVIRONMENT_HELP = `Environment:
  AURORA_SCHEDULER_URL  same as --scheduler-url
  AURORA_USERNAME       Basic auth user for write calls (with AURORA_PASSWORD);
  AURORA_PASSWORD       without them, credentials come from ~/.netrc (or $NETRC)
                        for the scheduler's host
  AURORA_CONFIG_ROOT    directory of the system clusters.json (default
                        /etc/aurora)
  NO_COLOR              disable colours`;

/** Help fits this width (or a narrower terminal): the test renders every command's help and checks. */
export const HELP_WIDTH = 80;

/**
 * The program: global flags, every noun, and the verbs of the nouns `args` may reach (all of them
 * without `args`). A command line that names its noun and verb builds only that verb: building
 * every verb's flags and help costs more than parsing the line.
 */
export function buildProgram(
  io: IO,
  onAction: (spec: VerbSpec, noun: string, input: Record<string, unknown>, globals: GlobalOptions) => Promise<number>,
  args?: readonly string[],
): Command {
  const program = new Command('aurora-ts');
  program
    .description('Create, inspect and control Apache Aurora jobs, with first-class custom executors; run a local Aurora-compatible scheduler.')
    // package.json is read only for a line that may ask for the version (`-V` may come among other short flags).
    .version(args === undefined || args.some((arg) => arg === '--version' || /^-[A-Za-z]*V/.test(arg)) ? version() : '', '-V, --version', 'print the version')
    .addOption(new Option('--scheduler-url <url>', 'talk to this scheduler (clusters in job keys are then not looked up)').env('AURORA_SCHEDULER_URL'))
    .addOption(new Option('--protocol <protocol>', 'Thrift wire protocol').choices(['json', 'binary']).default('binary'))
    .option('--json', 'print machine-readable JSON (data only) instead of human output')
    .option('--wide', 'tables: full ids and times, nothing cut (default: fit 80 columns)')
    .option('--verbose', 'show requests and error details')
    .addOption(new Option('--timeout <seconds>', 'per-call timeout').argParser(positiveNumber))
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    // Wrap at 80 even when long flag names leave descriptions less than commander's default 40 columns.
    .configureHelp({ showGlobalOptions: true, helpWidth: Math.min(HELP_WIDTH, io.stdout.columns || HELP_WIDTH), minWidthToWrap: 24 })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text) => io.error(oneLine(text)),
    })
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}\n`);

  for (const { noun, verbs } of args === undefined ? COMMANDS.map((noun) => ({ noun, verbs: noun.verbs })) : reachable(program, args)) {
    const nounCommand = program.command(noun.name).description(noun.summary);
    nounCommand.helpCommand(false);
    for (const verb of verbs) {
      const cmd = nounCommand.command(verb.name).description(verb.summary);
      for (const alias of verb.aliases ?? []) cmd.alias(alias);
      const args = verb.args ?? [];
      const leading = args.findIndex((arg) => arg.leading);
      for (const [i, arg] of args.entries()) {
        // After a leading optional argument commander must take the required one as optional too; it is checked below.
        const optional = arg.optional || (leading >= 0 && i > leading);
        cmd.argument(optional ? `[${arg.name}${arg.variadic ? '...' : ''}]` : `<${arg.name}${arg.variadic ? '...' : ''}>`, arg.description);
      }
      if (leading >= 0) cmd.usage(`[options] ${args.map((arg) => (arg.optional ? `[${arg.name}]` : `<${arg.name}>`)).join(' ')}`);
      for (const option of verb.options ?? []) cmd.addOption(toOption(option));
      if (verb.examples && verb.examples.length > 0) {
        cmd.addHelpText('after', `\nExamples:\n${verb.examples.map((e) => exampleLines(e)).join('\n')}\n`);
      }
      cmd.action(async (...values: unknown[]) => {
        const command = values[values.length - 1] as Command;
        const input: Record<string, unknown> = { ...command.opts() };
        const given = values.slice(0, args.length);
        if (leading >= 0 && given[leading + 1] === undefined) {
          // One value where `KEY FILE` fits: it is the FILE.
          given[leading + 1] = given[leading];
          given[leading] = undefined;
          const missing = args.findIndex((arg, i) => !arg.optional && given[i] === undefined);
          if (missing >= 0) command.error(`error: missing required argument '${args[missing]!.name}'`, { code: 'commander.missingArgument', exitCode: ExitCode.USAGE });
        }
        args.forEach((arg, i) => {
          input[camel(arg.name)] = given[i];
        });
        const globals = command.optsWithGlobals() as GlobalOptions;
        await onAction(verb, noun.name, input, {
          schedulerUrl: globals.schedulerUrl,
          protocol: globals.protocol,
          json: globals.json === true,
          wide: globals.wide === true,
          verbose: globals.verbose === true,
          timeout: globals.timeout,
        });
      });
    }
  }
  return program;
}

/**
 * The nouns and verbs a command line may reach: the noun it names after the global flags and the verb
 * it names after that noun (and global flags). Every verb of the noun when it names no verb of it
 * (help for the noun, or a misspelt verb: commander suggests from all of them), and every noun when
 * it names none, asks for help before naming one, or holds a flag the program does not know
 * (commander then reports it, with suggestions drawn from every noun).
 */
function reachable(program: Command, args: readonly string[]): readonly { noun: NounSpec; verbs: readonly VerbSpec[] }[] {
  const all = COMMANDS.map((noun) => ({ noun, verbs: noun.verbs }));
  let noun: NounSpec | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      const option = program.options.find((o) => o.short === arg || o.long === arg);
      if (option === undefined) return noun === undefined ? all : [{ noun, verbs: noun.verbs }];
      // Its value is the next word: `--scheduler-url URL job list`.
      if (option.required || (option.optional && !args[i + 1]?.startsWith('-'))) i++;
      continue;
    }
    if (noun === undefined) {
      noun = COMMANDS.find((n) => n.name === arg);
      if (noun === undefined) return all;
      continue;
    }
    const verb = noun.verbs.find((v) => v.name === arg || (v.aliases ?? []).includes(arg));
    return [{ noun, verbs: verb === undefined ? noun.verbs : [verb] }];
  }
  return noun === undefined ? all : [{ noun, verbs: noun.verbs }];
}

/** `  $ aurora-ts ...`, continued on the next line with ` \\` (as a shell reads it) where it would pass {@link HELP_WIDTH}. */
export function exampleLines(example: string): string {
  const lines: string[] = [];
  let line = '  $';
  for (const word of example.split(' ')) {
    if (line.length + 1 + word.length + 2 > HELP_WIDTH && line.trim() !== '$') {
      lines.push(`${line} \\`);
      line = '     ';
    }
    line += ` ${word}`;
  }
  return [...lines, line].join('\n');
}

/** Runs the CLI with `args` (without node and script) and returns the exit status. */
export async function main(args: readonly string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  // Before the command's own flags are known, errors go out plain unless stderr is a TTY.
  const streams = { stdout: options.stdout, stderr: options.stderr, stdin: options.stdin };
  let io = new IO({ ...streams, env, verbose: args.includes('--verbose'), json: args.includes('--json') });
  let exitCode: number = ExitCode.OK;
  let ctx: CliContext | undefined;
  const onSignal = () => {
    ctx?.abort();
    io.stopProgress();
    process.exit(ExitCode.INTERRUPTED);
  };

  const program = buildProgram(
    io,
    async (verb, _noun, input, globals) => {
      io = new IO({ ...streams, env, json: globals.json, verbose: globals.verbose, wide: globals.wide });
      const run = new CliContext({ io, globals, env, cwd: options.cwd });
      ctx = run;
      const onAbort = () => run.abort();
      if (options.signal?.aborted) run.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.handleSignals) {
        process.once('SIGINT', onSignal);
        ctx.releaseSignals = () => {
          process.removeListener('SIGINT', onSignal);
        };
      }
      try {
        const module = await verb.load();
        const code = await module.run(ctx, input);
        exitCode = typeof code === 'number' ? code : ExitCode.OK;
        return exitCode;
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        run.releaseSignals();
        run.close();
      }
    },
    args,
  );

  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; anything else commander rejects is bad usage (it already printed the line).
      exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? ExitCode.OK : ExitCode.USAGE;
    } else {
      io.stopProgress();
      const hint = ctx?.hintFor(err);
      io.error(hint === undefined ? messageFor(err) : `${messageFor(err)}; ${hint}`);
      if (io.verbose) io.stderr.write(`${detailFor(err)}\n`);
      exitCode = exitCodeFor(err);
    }
  }
  return exitCode;
}
