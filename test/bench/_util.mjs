// Helpers shared by the benchmarks under test/bench/ (files starting with `_` are not run by
// `npm run bench`): arguments, medians, child servers, the report table and its JSON file.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const argv = process.argv.slice(2);
export const flag = (name) => argv.includes(name);
export const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Nearest-rank percentile (p in 0..100) of already collected samples. */
export function percentile(xs, p) {
  const s = Float64Array.from(xs).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `node <script> ...args` and waits for its first stdout line, a JSON object with at least
 * `url`. `stop()` sends SIGTERM and waits for the exit (SIGKILL after `graceMs`).
 */
export async function startChild(script, args = [], { nodeArgs = [], graceMs = 60_000, env } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: env ?? process.env,
  });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const info = await new Promise((resolveInfo, reject) => {
    let buffered = '';
    const onData = (chunk) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      try {
        resolveInfo(JSON.parse(buffered.slice(0, nl)));
      } catch {
        reject(new Error(`${script} said: ${buffered.slice(0, nl)}`));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    exited.then(({ code, signal }) => reject(new Error(`${script} exited (${code ?? signal}) before it was ready`)));
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout.resume();
  return {
    ...info,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Prints `label  value unit` rows aligned. */
export function printRows(rows) {
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [label, value, unit = ''] of rows) console.log(`  ${label.padEnd(width)}  ${String(value).padStart(10)} ${unit}`);
}

/**
 * Prints each target as `name  value (target) ok|MISSED`; returns whether any was missed.
 * A target is { name, value, max? , min?, unit? }; small runs print "(no threshold)".
 */
export function printTargets(targets, small) {
  const width = Math.max(...targets.map((t) => t.name.length));
  let missed = false;
  for (const t of targets) {
    const ok = (t.max === undefined || t.value <= t.max) && (t.min === undefined || t.value >= t.min);
    t.ok = ok;
    missed ||= !ok;
    const unit = t.unit ?? '×';
    const goal = t.max !== undefined ? `≤ ${t.max}${unit}` : `≥ ${t.min}${unit}`;
    const verdict = small ? 'reported only (--small)' : ok ? 'ok' : 'MISSED';
    console.log(`  ${t.name.padEnd(width)}  ${t.value.toFixed(2).padStart(7)}${unit}  (target ${goal})  ${verdict}`);
  }
  return missed;
}

export function writeReport(name, report) {
  mkdirSync(join(root, '.bench'), { recursive: true });
  const file = join(root, '.bench', `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, ...report }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}
