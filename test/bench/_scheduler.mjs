#!/usr/bin/env node
// Child process for the benchmarks: a local scheduler from dist/ in a process of its own, so the
// load generator never shares its event loop or CPU time with the server it measures.
//
//   node test/bench/_scheduler.mjs '<SchedulerOptions as JSON>'
//
// Prints one JSON line {"url": ..., "pid": ...} once listening; SIGTERM (or stdin closing) kills the
// tasks and exits. With --cpu-prof on the node command line, the profile is written on exit.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './_util.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const { startScheduler } = await import(pathToFileURL(join(root, 'dist/scheduler/index.js')).href);
const scheduler = await startScheduler({ port: 0, ...options });
process.stdout.write(`${JSON.stringify({ url: scheduler.url, pid: process.pid })}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await scheduler.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
