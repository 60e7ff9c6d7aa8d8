// The package as a user gets it: `npm pack` of this checkout (built first by `npm test` / `npm run
// bench`), installed with npm into a fresh project. Shared by test/package/ and test/bench/cli.mjs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8' });

/** Packs the checkout (no prepare script: dist/ is already built) into `dir`; returns the tarball's path. */
export function packTarball(dir) {
  npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], root);
  const file = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (file === undefined) throw new Error(`npm pack wrote no tarball to ${dir}`);
  return join(dir, file);
}

/**
 * A fresh project with the tarball installed as `npm install <tarball>` does for a user: install
 * scripts allowed, dependencies from npm's cache when there (`--prefer-offline`), else the registry.
 * `extraPackages` are installed alongside (e.g. `@types/node` for a TypeScript consumer). Returns the
 * project's directory and npm's output (`--foreground-scripts` puts any script's output there).
 */
export function packedConsumer(extraPackages = []) {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-consumer-'));
  const tarball = packTarball(dir);
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }));
  const r = spawnSync('npm', ['install', '--prefer-offline', '--ignore-scripts=false', '--foreground-scripts', '--no-audit', '--no-fund', tarball, ...extraPackages], {
    cwd: project,
    encoding: 'utf8',
  });
  const log = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`npm install ${tarball} failed:\n${log}`);
  return { dir, project, tarball, log };
}
