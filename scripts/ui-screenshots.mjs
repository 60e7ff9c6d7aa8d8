#!/usr/bin/env node
// Retakes the README's screenshots of the web UI (docs/ui-job.png, docs/ui-update.png): a local
// scheduler from dist/, a 3-instance service and a rolling update of it, photographed in headless
// Chromium. `npm run build && node scripts/ui-screenshots.mjs`
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/support/chromium.mjs';
import { root, sleep } from '../test/bench/_util.mjs';

const dist = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const { startScheduler } = await dist('scheduler/index.js');
const { AuroraClient } = await dist('client/client.js');
const { waitForUpdate } = await dist('waiters/index.js');

const work = mkdtempSync(join(tmpdir(), 'aurora-ts-screenshots-'));
const executors = join(work, 'executors.json');
writeFileSync(executors, JSON.stringify([{ executor: { name: 'hello', command: { value: 'echo "serving $(cat "$AURORA_EXECUTOR_DATA")"; exec sleep 600', shell: true } }, task_prefix: 'hello-' }]));
const scheduler = await startScheduler({ port: 0, executors, workDir: join(work, 'scheduler'), cpus: 4, ramMb: 4096, killGraceMs: 300 });
const client = new AuroraClient({ url: scheduler.url });
const browser = await launchChromium();
try {
  const key = { role: 'www-data', environment: 'prod', name: 'hello' };
  const config = (data) => ({ job: key, owner: { user: 'alice' }, isService: true, resources: [{ numCpus: 0.1 }, { ramMb: 32 }, { diskMb: 32 }, { namedPort: 'http' }], executorConfig: { name: 'hello', data } });
  await client.createJob({ key, owner: { user: 'alice' }, instanceCount: 3, taskConfig: config('v1') });
  await sleep(1500);
  const { key: update } = await client.startJobUpdate(
    { taskConfig: config('v2'), instanceCount: 3, settings: { updateGroupSize: 1, maxPerInstanceFailures: 0, maxFailedInstances: 0, minWaitInInstanceRunningMs: 1000, rollbackOnFailure: true } },
    'v2: new greeting',
  );
  await waitForUpdate(client, update, { intervalMs: 200, timeoutMs: 60_000 });
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1000, height: 640 });
  await page.goto(`${scheduler.url}/scheduler/www-data/prod/hello`);
  await page.waitForSelector('[aria-label="Active tasks"] .body [role=row]');
  await page.locator('[aria-label="Active tasks"] .body summary').first().click();
  await page.screenshot({ path: join(root, 'docs/ui-job.png') });
  await page.goto(`${scheduler.url}/scheduler/www-data/prod/hello/update/${update.id}`);
  await page.waitForSelector('.grid li');
  await page.screenshot({ path: join(root, 'docs/ui-update.png') });
  console.log('wrote docs/ui-job.png and docs/ui-update.png');
} finally {
  await browser.close();
  await scheduler.close();
  rmSync(work, { recursive: true, force: true });
}
