import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Tests run from TypeScript sources, but the Thermos executor runs as its own `node` process, which
 * on Node 20 cannot load .ts. This transpiles the executor (it imports only node builtins,
 * src/errors.ts and its siblings) into a temp dir and returns the path of main.js, for
 * `thermosCommand(payload, { mainScript })`. Other test suites (the local scheduler's) may use it.
 */
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const FILES = ['errors.ts', 'scheduler/thermos/command.ts', 'scheduler/thermos/payload.ts', 'scheduler/thermos/runner.ts', 'scheduler/thermos/main.ts'];

let built: Promise<string> | undefined;
let outDir: string | undefined;

/** Removes the transpiled copy (call from afterAll). */
export async function removeThermosBuild(): Promise<void> {
  if (outDir !== undefined) await fs.rm(outDir, { recursive: true, force: true });
  built = undefined;
  outDir = undefined;
}

export function buildThermosForTests(): Promise<string> {
  built ??= (async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'aurora-ts-thermos-'));
    outDir = out;
    await fs.writeFile(path.join(out, 'package.json'), '{"type":"module"}\n');
    for (const rel of FILES) {
      const source = await fs.readFile(path.join(SRC, rel), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: rel,
      });
      const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.writeFile(dest, outputText);
    }
    return path.join(out, 'scheduler/thermos/main.js');
  })();
  return built;
}
