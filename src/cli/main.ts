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
import { IO } from './io.js';
import { camel, type NounSpec, type OptionSpec, type VerbSpec } from './spec.js';

export interface MainOptions {
  env?: NodeJS.ProcessEnv;
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
 * without `args`). A command line that names its noun builds only that noun's verbs: building
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
    .version(version(), '-V, --version', 'print the version')
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
    .configureHelp({ showGlobalOptions: true, helpWidth: Math.min(HELP_WIDTH, process.stdout.columns || HELP_WIDTH), minWidthToWrap: 24 })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text) => io.error(oneLine(text)),
    })
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}\n`);

  for (const noun of args === undefined ? COMMANDS : nounsFor(program, args)) {
    const nounCommand = program.command(noun.name).description(noun.summary);
    nounCommand.helpCommand(false);
    for (const verb of noun.verbs) {
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
 * The nouns a command line may reach: the one it names after the global flags, or every noun when it
 * names none, asks for help before naming one, or holds a flag the program does not know (commander
 * then reports it, with suggestions drawn from every noun).
 */
function nounsFor(program: Command, args: readonly string[]): readonly NounSpec[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      const option = program.options.find((o) => o.short === arg || o.long === arg);
      if (option === undefined) return COMMANDS;
      // Its value is the next word: `--scheduler-url URL job list`.
      if (option.required || (option.optional && !args[i + 1]?.startsWith('-'))) i++;
      continue;
    }
    const noun = COMMANDS.find((n) => n.name === arg);
    return noun === undefined ? COMMANDS : [noun];
  }
  return COMMANDS;
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
  let io = new IO({ env, verbose: args.includes('--verbose'), json: args.includes('--json') });
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
      io = new IO({ env, json: globals.json, verbose: globals.verbose, wide: globals.wide });
      ctx = new CliContext({ io, globals, env });
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
        ctx.releaseSignals();
        ctx.close();
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
