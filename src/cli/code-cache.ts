/**
 * V8's code cache for the CLI bundle, so that a command does not compile the same ≈ 370 kB of
 * JavaScript on every start (`job list` compiles cli.cjs and client.cjs: 23 and 15 ms in a fresh
 * process on a loaded 2-CPU machine, 1–4 ms from the cache; docs/performance.md).
 *
 * Node >= 22.1 does this itself (`module.enableCompileCache`); on Node 20 this is the same idea for
 * the files of one directory (dist/cli/bundle/): each is compiled with the bytecode V8 wrote on an
 * earlier run, and where there was none (first run, new build, other Node) the bytecode of what this
 * run compiled is written as the process exits. Only the bundle's own CommonJS chunks go through
 * here, never a user's job file or a package; they hold no `import()` (scripts/bundle.mjs routes
 * those through dist/cli/dynamic-import.cjs), which a `vm.Script` cannot run on Node 20 without an
 * experimental flag.
 *
 * The cache lives in `$XDG_CACHE_HOME/aurora-ts/code-cache/` (default `~/.cache`), one file per
 * chunk, keyed by the chunk's path, length and modification time; `NODE_DISABLE_COMPILE_CACHE=1`
 * turns it off, as it does Node's. Any failure to read or write it only means compiling as usual.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { Script } from 'node:vm';

interface LoadingModule {
  exports: unknown;
  _compile(content: string, filename: string): unknown;
}

/** Where the cache of this Node version goes, or undefined when it is turned off. */
export function codeCacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['NODE_DISABLE_COMPILE_CACHE']) return undefined;
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && xdg.startsWith('/') ? xdg : join(env['HOME'] || homedir(), '.cache');
  return join(base, 'aurora-ts', 'code-cache', `${process.version}-${process.arch}`);
}

/** Compiles the CommonJS files under `bundle` with V8's code cache from now on. */
export function useCodeCache(bundle: string, env: NodeJS.ProcessEnv = process.env): void {
  const directory = codeCacheDirectory(env);
  if (directory === undefined) return;
  const builtIn = (Module as { enableCompileCache?: (directory: string) => unknown }).enableCompileCache;
  if (typeof builtIn === 'function') {
    builtIn(directory);
    return;
  }
  const prefix = bundle.endsWith(sep) ? bundle : bundle + sep;
  // Several installs share the directory: a chunk's file is named after its bundle too.
  const tag = fnv1a(prefix);
  const misses: { script: Script; file: string; key: string }[] = [];
  const proto = Module.prototype as unknown as LoadingModule;
  const compile = proto._compile;
  proto._compile = function (this: LoadingModule, content: string, filename: string) {
    if (!filename.startsWith(prefix)) return compile.call(this, content, filename);
    const file = join(directory, `${tag}-${basename(filename)}`);
    const key = `${filename}\n${content.length}\n${statSync(filename).mtimeMs}\n`;
    const cachedData = readCache(file, key);
    const script = new Script(Module.wrap(content), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected === true) misses.push({ script, file, key });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, createRequire(filename), this, filename, dirname(filename));
  };
  process.once('exit', () => {
    for (const { script, file, key } of misses) writeCache(file, key, script.createCachedData());
  });
}

function readCache(file: string, key: string): Buffer | undefined {
  try {
    const data = readFileSync(file);
    const length = Buffer.byteLength(key);
    return data.toString('utf8', 0, length) === key ? data.subarray(length) : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, key: string, data: Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Whole or not at all: another command may be reading it.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, Buffer.concat([Buffer.from(key), data]), { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    // A cache that cannot be written is one that is not used.
  }
}

/** 32-bit FNV-1a of `text`, in hex: a short, stable name (not a security measure). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}
