#!/usr/bin/env node
// Writes schema/job.schema.json (or the path given as the first argument) from the job file's zod
// schema, through jobFileJsonSchema(). Uses the built dist/ when present; otherwise it transpiles
// the few source files it needs with the TypeScript compiler into a temporary directory.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'schema', 'job.schema.json'));

async function loadFromDist() {
  const built = join(root, 'dist', 'job', 'json-schema.js');
  if (!existsSync(built)) return undefined;
  return import(pathToFileURL(built).href);
}

// Transpiles src/job/json-schema.ts and its relative imports; zod resolves from node_modules
// because the temporary directory lives inside the project.
async function loadFromSource() {
  const ts = (await import('typescript')).default;
  const tmp = await mkdtemp(join(root, 'node_modules', '.gen-job-schema-'));
  try {
    const queue = [join(root, 'src', 'job', 'json-schema.ts')];
    const seen = new Set();
    while (queue.length > 0) {
      const file = queue.pop();
      if (seen.has(file)) continue;
      seen.add(file);
      const source = await readFile(file, 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: file,
      });
      const target = join(tmp, relative(join(root, 'src'), file)).replace(/\.ts$/, '.js');
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, outputText);
      for (const m of outputText.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
        queue.push(resolve(dirname(file), `${m[1]}.ts`));
      }
    }
    return await import(pathToFileURL(join(tmp, 'job', 'json-schema.js')).href);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const mod = (await loadFromDist()) ?? (await loadFromSource());
const schema = mod.jobFileJsonSchema();
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(schema, null, 2)}\n`);
console.log(`wrote ${relative(process.cwd(), out) || out}`);
