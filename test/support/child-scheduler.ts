/**
 * A real scheduler in a child process, for tests that must SIGKILL it at an awkward moment and then
 * start another on the same state directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Fast settings for a child scheduler: 4 CPUs, 4 GiB, 200 ms kill grace, no restart penalty. */
export const CHILD_SCHEDULER_OPTIONS = { port: 0, cpus: 4, ramMb: 4096, killGraceMs: 200, throttle: { minRunningMs: 0, initialBackoffMs: 0, maxBackoffMs: 0 } };

/**
 * Writes into `out` a transpiled copy of src/ and a script that starts a scheduler with the JSON options
 * in argv[2] and prints `{ url, leader }` as one line; returns the script's path. Node 20 cannot run the
 * TypeScript sources, and `tsc --noEmit` checks the types, so this only transpiles.
 */
export async function buildSchedulerForChild(out: string): Promise<string> {
  const src = path.join(ROOT, 'src');
  // The CLI and the Thrift reference code are not part of the scheduler.
  const skip = (f: string) => f.startsWith(`cli${path.sep}`) || f.startsWith(path.join('gen', 'thrift'));
  const files = (await fs.readdir(src, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !skip(f));
  await Promise.all(
    files.map(async (rel) => {
      const { outputText } = ts.transpileModule(await fs.readFile(path.join(src, rel), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: rel,
      });
      const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.writeFile(dest, outputText);
    }),
  );
  await fs.writeFile(path.join(out, 'package.json'), '{"type":"module"}\n');
  // The copy resolves its packages from this checkout.
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  const child = path.join(out, 'child.js');
  await fs.writeFile(
    child,
    `import { startScheduler } from './scheduler/index.js';
const scheduler = await startScheduler({ ...JSON.parse(process.argv[2]), onLog: (m) => process.stderr.write(m + '\\n') });
process.stdout.write(JSON.stringify({ url: scheduler.url, leader: scheduler.isLeader() }) + '\\n');
`,
  );
  return child;
}

export interface ChildScheduler {
  url: string;
  /** Whether it was leader when it started (always true without ZooKeeper). */
  leader: boolean;
  process: ChildProcess;
  /** SIGKILLs it and waits until it has exited. */
  kill9(): Promise<void>;
}

/**
 * Runs `script` (from {@link buildSchedulerForChild}) with `options`; resolves once it serves. The child
 * stays in `running` until kill9, so that afterAll can end whatever a failed test left behind.
 */
export async function startChildScheduler(script: string, options: object, running: Set<ChildProcess>): Promise<ChildScheduler> {
  const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = await new Promise<{ url: string; leader: boolean }>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { url: string; leader: boolean });
    });
    child.once('exit', (code) => reject(new Error(`scheduler exited with ${code}: ${stderr}`)));
  });
  return {
    ...started,
    process: child,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
      running.delete(child);
    },
  };
}
