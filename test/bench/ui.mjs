#!/usr/bin/env node
// Web UI benchmark: how fast the job page of a 1,000-instance job renders in headless Chromium (Debian's
// chromium through playwright-core), against a local scheduler from dist/ in a child process, with
// every instance RUNNING as a real process.
//
//   npm run build && node test/bench/ui.mjs [--small] [--runs N] [--instances N]
//
// Each run opens /scheduler/<role>/<env>/<job> in a fresh page and takes, from the page's own clock
// (performance.now(), 0 = navigation start) the marks the UI sets: `rendered` once the page's markup is in
// the DOM (shell, modules, the API calls over TJSON and the render), and `painted` just after the next frame
// (a task queued from requestAnimationFrame: style, layout and paint of the 1,000 rows included). Target: median painted ≤ 1,000 ms.
// Also reported: the bytes the browser loaded for the UI itself (HTML, CSS, modules; not /api).
// --small: 100 instances, 2 runs, no threshold (a CI smoke run). Writes .bench/ui.json.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, CHROMIUM } from '../support/chromium.mjs';
import { flag, median, option, printRows, printTargets, root, sleep, startChild, writeReport } from './_util.mjs';

const small = flag('--small');
const runs = Number(option('--runs', small ? 2 : 7));
const instances = Number(option('--instances', small ? 100 : 1000));

if (!existsSync(CHROMIUM)) {
  console.log(`  skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(0);
}

const { AuroraClient } = await import(pathToFileURL(join(root, 'dist/client/client.js')).href);
const { ScheduleStatus } = await import(pathToFileURL(join(root, 'dist/gen/types.js')).href);

const work = mkdtempSync(join(tmpdir(), 'aurora-ts-bench-ui-'));
const executors = join(work, 'executors.json');
writeFileSync(executors, JSON.stringify([{ executor: { name: 'sleeper', command: { value: 'exec sleep 600', shell: true }, resources: [] }, task_prefix: 'sleep-' }]));
const options = { executors, workDir: join(work, 'scheduler'), cpus: 100_000, ramMb: 100_000_000, diskMb: 100_000_000, killGraceMs: 1000 };
const scheduler = await startChild(join(root, 'test/bench/_scheduler.mjs'), [JSON.stringify(options)], { graceMs: 120_000 });
const client = new AuroraClient({ url: scheduler.url, timeoutMs: 120_000 });
const key = { role: 'bench', environment: 'prod', name: 'wide' };
const browser = await launchChromium();
try {
  await client.createJob({
    key,
    owner: { user: 'bench' },
    instanceCount: instances,
    taskConfig: { job: key, owner: { user: 'bench' }, isService: true, resources: [{ numCpus: 0.01 }, { ramMb: 1 }, { diskMb: 1 }], executorConfig: { name: 'sleeper', data: '' } },
  });
  for (const deadline = Date.now() + 180_000; ; await sleep(500)) {
    const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [key], statuses: [ScheduleStatus.RUNNING] });
    if (tasks.length === instances) break;
    if (Date.now() > deadline) throw new Error(`only ${tasks.length} of ${instances} instances RUNNING after 180 s`);
  }

  const data = [];
  const painted = [];
  let assetBytes = 0;
  for (let run = 0; run < runs; run++) {
    const page = await browser.context.newPage();
    const sizes = new Map();
    page.on('response', async (response) => {
      const url = new URL(response.url());
      if (url.pathname === '/api') return;
      const body = await response.body().catch(() => undefined);
      if (body) sizes.set(url.pathname, body.length);
    });
    await page.goto(`${scheduler.url}/scheduler/${key.role}/${key.environment}/${key.name}`);
    await page.waitForFunction((n) => document.querySelectorAll('[aria-label="Active tasks"] .body [role=row]').length === n, instances, { timeout: 60_000 });
    await page.waitForFunction(() => performance.getEntriesByName('aurora-ui:painted').length > 0);
    const [rendered, laidOut] = await page.evaluate(() => ['aurora-ui:rendered', 'aurora-ui:painted'].map((name) => performance.getEntriesByName(name)[0].startTime));
    data.push(rendered);
    painted.push(laidOut);
    assetBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
    await page.close();
  }
  printRows([
    ['instances', instances],
    ['runs', runs],
    ['data in the DOM (median)', median(data).toFixed(0), 'ms'],
    ['next frame, laid out (median)', median(painted).toFixed(0), 'ms'],
    ['UI bytes loaded (HTML+CSS+JS)', assetBytes, 'bytes'],
    // The machine's load while measuring: the figure is wall-clock time, so it says how to read it.
    ['load average (1 min, at the end)', loadavg()[0].toFixed(1)],
  ]);
  const targets = [{ name: `job page of ${instances} instances, laid out`, value: median(painted), max: 1000, unit: ' ms' }];
  const missed = printTargets(targets, small);
  writeReport('ui', { instances, runs, renderedMs: data, paintedMs: painted, medianPaintedMs: median(painted), assetBytes, loadAverage: loadavg()[0], targets });
  process.exitCode = missed && !small ? 1 : 0;
} finally {
  await browser.close();
  await scheduler.stop();
  rmSync(work, { recursive: true, force: true });
}
