/**
 * `aurora-ts executors new NAME [--dir DIR]`: a ready project for a custom executor written with
 * aurora-ts/executor, from the files under templates/executor/ (shipped in the package). Every
 * `{{name}}`, `{{auroraTs}}` (the published range of this package's version) and `{{executorPath}}`
 * (the built executor's absolute path) is filled in; `gitignore` is written as `.gitignore` (npm
 * would not ship a file of that name). Checks NAME and DIR before writing anything.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { NEW } from './index.js';

/** The package root, from src/cli/commands/executors/ or dist/cli/commands/executors/. */
// The package's root (a URL literal, which the CLI bundle keeps pointing at the same place: scripts/bundle.mjs).
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const TEMPLATE = join(ROOT, 'templates/executor');
/** Where the built executor lands (tsconfig.json's outDir dist, rootDir .). */
const BUILT_EXECUTOR = 'dist/src/executor.js';
/**
 * A name that is at once an npm package name, a directory, an executor name and an Aurora job name:
 * lowercase letters, digits, '-', '_' and '.', starting with a letter or digit.
 */
const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export async function run(ctx: CliContext, options: VerbInput<typeof NEW>): Promise<number> {
  const { io } = ctx;
  const name = options.name;
  if (!NAME.test(name)) {
    throw new UsageError(
      `NAME: ${JSON.stringify(name)} is not a valid executor name`,
      "use 1-100 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit: it names the package, its directory, the executor and the job",
    );
  }
  const dir = ctx.path(options.dir ?? name);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--dir: ${dir} exists and is not a directory`, 'name a new or empty directory');
    if (readdirSync(dir).length > 0) throw new UsageError(`--dir: ${dir} is not empty`, 'name a new or empty directory');
  }
  const values: Record<string, string> = {
    name,
    auroraTs: publishedRange(),
    executorPath: join(dir, BUILT_EXECUTOR),
  };
  const files = templateFiles(TEMPLATE).map((path) => ({
    path: path === 'gitignore' ? '.gitignore' : path,
    text: fill(readFileSync(join(TEMPLATE, path), 'utf8'), values, path),
  }));
  for (const file of files) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.text, { flag: 'wx' });
  }
  const written = files.map((f) => f.path).sort();
  if (io.json) {
    io.data({ name, dir, files: written });
    return ExitCode.OK;
  }
  const shown = relative(ctx.cwd, dir) || '.';
  io.out(`Created ${name} in ${shown}: ${written.join(', ')}`);
  io.out('Next (see its README.md):');
  io.out(`  cd ${shown} && npm install && npm run build`);
  io.out('  npx aurora-ts scheduler start --custom-executor-config executors.json');
  io.out('  npx aurora-ts job create job.json --wait-until RUNNING');
  return ExitCode.OK;
}

/** `^VERSION` of this package: what the generated package.json depends on. */
function publishedRange(): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return `^${version}`;
}

/** Every file under `dir`, as paths relative to it with '/' separators. */
function templateFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? templateFiles(dir, path) : [path];
  });
}

function fill(text: string, values: Record<string, string>, path: string): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`templates/executor/${path}: unknown placeholder {{${key}}}`);
    // JSON files get the value as a JSON string's content.
    return path.endsWith('.json') ? JSON.stringify(value).slice(1, -1) : value;
  });
}
