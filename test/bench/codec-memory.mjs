#!/usr/bin/env node
// Peak memory of decoding the 10,000-task getTasksStatus reply: the max RSS of a fresh child process
// that reads the bytes and decodes them once, beside a child that reads the same bytes and only
// JSON.parses them (the baseline), and one that only reads them (the floor both share).
//
//   npm run build && node test/bench/codec-memory.mjs [--small] [--runs N]
//
// Target: aurora-ts TJSON decode ≤ 2× the JSON.parse child's max RSS. Writes .bench/codec-memory.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildTasksResponse, root } from './_codec-fixtures.mjs';
import { flag, median, option, printRows, printTargets, writeReport } from './_util.mjs';

const small = flag('--small');
const tasks = Number(option('--tasks', small ? 200 : 10_000));
const runs = Number(option('--runs', small ? 3 : 5));
const dist = join(root, 'dist');
const protocol = pathToFileURL(join(dist, 'protocol/index.js')).href;

const P = await import(protocol);
const response = buildTasksResponse(tasks);
const dir = join(root, '.bench');
mkdirSync(dir, { recursive: true });
const files = {
  json: join(dir, 'reply.tjson'),
  binary: join(dir, 'reply.tbinary'),
};
writeFileSync(files.json, P.encodeReply('json', 'getTasksStatus', 1, response));
writeFileSync(files.binary, P.encodeReply('binary', 'getTasksStatus', 1, response));

// Each child keeps its result alive until it has measured, so nothing is freed early.
const children = {
  'read only (floor)': `const b = require('fs').readFileSync(${JSON.stringify(files.json)}); globalThis.keep = b;`,
  'JSON.parse (baseline)': `const b = require('fs').readFileSync(${JSON.stringify(files.json)}); globalThis.keep = JSON.parse(b.toString('utf8'));`,
  'aurora-ts TJSON decode': `import(${JSON.stringify(protocol)}).then((P) => { const b = require('fs').readFileSync(${JSON.stringify(files.json)}); globalThis.keep = P.decodeReply('json', 'getTasksStatus', b); report(); });`,
  'aurora-ts binary decode': `import(${JSON.stringify(protocol)}).then((P) => { const b = require('fs').readFileSync(${JSON.stringify(files.binary)}); globalThis.keep = P.decodeReply('binary', 'getTasksStatus', b); report(); });`,
};

function maxRssMb(source) {
  const script = `function report() { process.stdout.write(String(process.resourceUsage().maxRSS)); }\n${source}\nif (!${source.includes('report()')}) report();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return Number(r.stdout) / 1024;
}

const results = {};
for (let i = 0; i < runs; i++) {
  for (const [name, source] of Object.entries(children)) (results[name] ??= []).push(maxRssMb(source));
}
const medians = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));

console.log(`decode peak memory: ${tasks} tasks, median max RSS of ${runs} fresh processes`);
printRows(Object.entries(medians).map(([k, v]) => [k, v.toFixed(1), 'MB']));
const targets = [{ name: 'TJSON decode max RSS / JSON.parse max RSS', value: medians['aurora-ts TJSON decode'] / medians['JSON.parse (baseline)'], max: 2 }];
console.log('');
const missed = printTargets(targets, small);
writeReport('codec-memory', { tasks, runs, maxRssMb: medians, targets });
process.exit(missed && !small ? 1 : 0);
