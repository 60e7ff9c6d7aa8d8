/**
 * The web UI in a real browser (Debian's chromium through playwright-core) against a real local
 * scheduler running real tasks: links from roles to a task's stdout, an update watched to the end,
 * hostile values shown as text, empty states, and the headers that back the escaping up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { JobUpdateStatus, MaintenanceMode, type JobConfiguration } from '../../src/gen/types.js';
import { hashPassword } from '../../src/scheduler/auth/index.js';
import { waitForMaintenance, waitForUpdate } from '../../src/waiters/index.js';
import { launchChromium } from '../support/chromium.mjs';
import { shellExecutor, startTestScheduler, testJob, waitForRunning, type TestScheduler } from '../support/scheduler.js';

const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
/** What an agents file lets through in an attribute value (no spaces, no commas) that is still markup. */
const HOSTILE_ATTRIBUTE = '<img/src=x/onerror=window.__pwned=3><script>window.__pwned=4</script>';

let local: TestScheduler;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;

beforeAll(async () => {
  // The pages load the built browser modules: build them from this checkout's sources first.
  const build = spawnSync('npx', ['tsc', '-p', 'src/scheduler/ui/browser/tsconfig.json'], { stdio: 'inherit' });
  expect(build.status).toBe(0);
  local = await startTestScheduler({
    executors: [
      shellExecutor('talker', `printf '%s\\n' 'hello from the task' "$(cat "$AURORA_EXECUTOR_DATA")"; echo 'to stderr' >&2; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done`, 'talk-'),
    ],
    cpus: 8,
    ramMb: 8192,
  });
  browser = await launchChromium();
  context = browser.context;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await local?.close();
});

const job = (name: string, instances: number, data: string, extra: Partial<JobConfiguration['taskConfig']> = {}) =>
  testJob({ name, role: 'web', environment: 'prod', instances, data, executor: 'talker', service: true, task: extra });

async function open(path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${local.url}${path}`);
  return page;
}

/** No hostile script ran and no hostile element was created. */
async function expectInert(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('img').count()).toBe(0);
}

describe('web UI', () => {
  it('links roles to jobs to tasks to a live stdout, and shows hostile values as text', async () => {
    const config = job('talker', 2, HOSTILE, { metadata: [{ key: 'owner', value: HOSTILE }] });
    await local.client.createJob(config);
    await waitForRunning(local.client, config.key!, 2);

    const page = await open('/');
    expect(new URL(page.url()).pathname).toBe('/scheduler');
    await page.getByRole('link', { name: 'web', exact: true }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Jobs of web');
    await page.getByRole('link', { name: 'talker', exact: true }).click();
    await page.waitForURL(/\/scheduler\/web\/prod\/talker$/);
    const active = page.getByRole('table', { name: 'Active tasks' });
    await expect.poll(() => active.locator('.body [role=row]').count()).toBe(2);
    expect(await active.locator('.body [role=row]').first().textContent()).toContain('RUNNING');
    // Each task's timeline, with the scheduler's messages, opens in place.
    await active.locator('.body [role=row]').first().locator('summary').click();
    await expect.poll(() => active.locator('.body [role=row]').first().locator('.timeline li').allTextContents()).toEqual([
      expect.stringMatching(/PENDING/),
      expect.stringMatching(/ASSIGNED/),
      expect.stringMatching(/STARTING/),
      expect.stringMatching(/RUNNING/),
    ]);
    // The config, metadata and executor data included, is text.
    await page.getByText('JobConfiguration as the scheduler holds it').click();
    expect(await page.locator('pre.config').textContent()).toContain(HOSTILE.replace(/"/g, '\\"'));
    await expectInert(page);

    await active.locator('.body [role=row]').first().locator('[role=cell]').last().getByRole('link').click();
    await page.waitForURL(/\/task\//);
    const tail = page.locator('#tail');
    await expect.poll(() => tail.textContent(), { timeout: 10_000 }).toContain('hello from the task');
    expect(await tail.textContent()).toContain(HOSTILE);
    // Following: new lines keep arriving.
    const ticks = async () => Number(/tick (\d+)\D*$/.exec((await tail.textContent()) ?? '')?.[1] ?? 0);
    const before = await ticks();
    await expect.poll(ticks, { timeout: 10_000 }).toBeGreaterThan(before + 2);
    await expectInert(page);
    await page.getByRole('link', { name: 'stderr' }).click();
    await expect.poll(() => page.locator('#tail').textContent(), { timeout: 10_000 }).toContain('to stderr');
    await page.close();
    await local.client.killTasks(config.key!, [], 'done');
  }, 40_000);

  it('shows an update instance by instance until it rolls forward', async () => {
    const v1 = job('rolling', 3, 'v1');
    await local.client.createJob(v1);
    await waitForRunning(local.client, v1.key!, 3);
    const v2 = job('rolling', 3, 'v2');
    const started = await local.client.startJobUpdate(
      {
        taskConfig: v2.taskConfig,
        instanceCount: 3,
        settings: { updateGroupSize: 1, maxPerInstanceFailures: 0, maxFailedInstances: 0, minWaitInInstanceRunningMs: 500, rollbackOnFailure: true },
        metadata: [{ key: 'why', value: HOSTILE }],
      },
      HOSTILE,
    );
    const key = started.key!;
    const page = await open('/scheduler/web/prod/rolling');
    await page.getByRole('link', { name: key.id! }).click();
    await page.waitForURL(/\/update\//);
    expect(await page.locator('.facts').first().textContent()).toMatch(/ROLLING_FORWARD|ROLLED_FORWARD/);
    // Watched, not reloaded: the page refreshes itself until the update is done.
    await expect.poll(() => page.locator('.facts .badge').first().textContent(), { timeout: 20_000 }).toBe('ROLLED_FORWARD');
    expect(await page.locator('progress').getAttribute('value')).toBe('3');
    expect(await page.locator('.grid li').allTextContents()).toEqual(['0 updated', '1 updated', '2 updated']);
    expect(await page.getByRole('table', { name: 'Instance events' }).locator('tbody tr').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('main').textContent()).toContain(HOSTILE);
    expect(await page.evaluate(() => document.body.dataset.changing)).toBe('false');
    await expectInert(page);
    expect(await waitForUpdate(local.client, key, { intervalMs: 50, timeoutMs: 5_000 })).toBe(JobUpdateStatus.ROLLED_FORWARD);
    await page.close();
    await local.client.killTasks(v1.key!, [], 'done');
  }, 40_000);

  it('says so when there is nothing to show', async () => {
    const page = await open('/scheduler/nobody');
    await expect.poll(() => page.locator('main').textContent()).toContain('No service or ad-hoc jobs for nobody.');
    expect(await page.locator('main').textContent()).toContain('No cron jobs for nobody.');
    await page.goto(`${local.url}/scheduler/web/prod/missing`);
    await expect.poll(() => page.locator('main').textContent()).toContain('No such job on this scheduler.');
    await page.goto(`${local.url}/scheduler/web/prod/rolling/update/no-such-update`);
    await expect.poll(() => page.locator('main').textContent()).toContain('No such update of this job.');
    // The default agent (this machine) is listed; the cluster test below reads the agents in detail.
    await page.goto(`${local.url}/agents`);
    await expect.poll(() => page.getByRole('table', { name: 'Agents' }).locator('tbody tr').count()).toBe(1);
    await page.goto(`${local.url}/maintenance`);
    await expect.poll(() => page.getByRole('table', { name: 'Hosts in maintenance' }).textContent()).toContain('NONE');
    // Keyboard: the first Tab reaches the skip link, the next one the sections.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Jobs');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/scheduler$/);
    // A phone's width: wide lists scroll inside their box, the page itself does not.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${local.url}/scheduler/web/prod/rolling`);
    await page.locator('[aria-label="Finished tasks"]').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.goto(`${local.url}/nowhere/at/all`);
    expect(await page.locator('body').textContent()).toContain('not found');
    await page.close();
  }, 30_000);

  it('shows each agent with its mode, used of total, ports and attributes, its tasks, and a drain as it happens', async () => {
    const cluster = await startTestScheduler({
      executors: [shellExecutor('sleeper', 'exec sleep 60')],
      agents: [
        { host: 'west-1', attributes: { zone: 'west', rack: HOSTILE_ATTRIBUTE }, resources: { cpus: 2, ramMb: 1024, diskMb: 2048, ports: '23000-23009' } },
        { host: 'east-1', attributes: { zone: 'east' }, resources: { cpus: 1, ramMb: 512 } },
      ],
      maintenance: { pollMs: 100 },
    });
    const page = await context.newPage();
    try {
      // Two instances held in zone west: west-1 carries them, east-1 stays empty.
      const config = testJob({
        name: 'placed',
        role: 'web',
        instances: 2,
        resources: [{ numCpus: 0.5 }, { ramMb: 128 }, { diskMb: 64 }],
        task: { constraints: [{ name: 'zone', constraint: { value: { values: ['west'], negated: false } } }] },
      });
      await cluster.client.createJob(config);
      await waitForRunning(cluster.client, config.key!, 2);

      await page.goto(`${cluster.url}/agents`);
      const rows = page.getByRole('table', { name: 'Agents' }).locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(2);
      const cells = async (i: number) => (await rows.nth(i).locator('td').allTextContents()).map((c) => c.replace(/\s+/g, ' ').trim());
      // Sorted by host: east-1 then west-1. Columns: host, mode, tasks, CPUs, RAM, disk, ports, attributes.
      expect(await cells(0)).toEqual(['east-1', 'NONE', '0', '0 of 1', '0 MiB of 512 MiB', '0 MiB of unlimited', 'any free port', 'zone:east']);
      expect(await cells(1)).toEqual(['west-1', 'NONE', '2', '1 of 2', '256 MiB of 1024 MiB', '128 MiB of 2048 MiB', '23000-23009', `rack:${HOSTILE_ATTRIBUTE}zone:west`]);
      expect(await rows.nth(1).locator('.chips li').allTextContents()).toEqual([`rack:${HOSTILE_ATTRIBUTE}`, 'zone:west']);
      await expectInert(page);

      // Each host links to the tasks on it.
      await page.getByRole('link', { name: 'west-1', exact: true }).click();
      await page.waitForURL(/\/agents\/west-1$/);
      const onHost = page.getByRole('table', { name: 'Active tasks' }).locator('tbody tr');
      await expect.poll(() => onHost.count()).toBe(2);
      expect(await onHost.first().textContent()).toContain('RUNNING');
      expect(await onHost.first().getByRole('link', { name: 'web/devel/placed' }).getAttribute('href')).toBe('/scheduler/web/devel/placed');
      expect(await page.locator('.chips li').allTextContents()).toEqual([`rack:${HOSTILE_ATTRIBUTE}`, 'zone:west']);
      await expectInert(page);
      await page.goto(`${cluster.url}/agents/east-1`);
      await expect.poll(() => page.locator('main').textContent()).toContain('No active task on this host.');

      // A drain through the API: the maintenance page follows it to DRAINED by itself (it refreshes while DRAINING).
      await page.goto(`${cluster.url}/maintenance`);
      const hosts = page.getByRole('table', { name: 'Hosts in maintenance' }).locator('tbody tr');
      await expect.poll(() => hosts.count()).toBe(2);
      expect(await hosts.nth(1).locator('td').nth(1).textContent()).toBe('NONE');
      await cluster.client.drainHosts({ hostNames: ['west-1'] });
      await page.reload();
      await expect.poll(() => hosts.nth(1).locator('td').nth(1).textContent()).toMatch(/^DRAIN(ING|ED)$/);
      await waitForMaintenance(cluster.client, ['west-1'], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 50, backoff: 1 });
      await expect.poll(() => hosts.nth(1).locator('td').allTextContents(), { timeout: 10_000 }).toEqual(['west-1', 'DRAINED', '0', expect.stringContaining('zone:west')]);
      expect(await hosts.nth(0).locator('td').nth(1).textContent()).toBe('NONE');
      expect(await page.locator('.facts').textContent()).toMatch(/2 hosts: 1 DRAINED · 1 NONE/);
      await expectInert(page);
      await page.goto(`${cluster.url}/agents`);
      await expect.poll(() => cells(1)).toEqual(['west-1', 'DRAINED', '0', '0 of 2', '0 MiB of 1024 MiB', '0 MiB of 2048 MiB', '23000-23009', `rack:${HOSTILE_ATTRIBUTE}zone:west`]);

      // An older scheduler (GET /agents answers 404): the pages say so and fall back on the hosts tasks ran on.
      await page.route('**/agents', (route) => (route.request().resourceType() === 'fetch' ? route.fulfill({ status: 404, body: 'not found' }) : route.continue()));
      await page.goto(`${cluster.url}/agents`);
      await expect.poll(() => page.locator('main .note').textContent()).toContain('This scheduler has no agents endpoint (GET /agents answers 404)');
      expect(await page.getByRole('table', { name: 'Hosts' }).locator('tbody tr').allTextContents()).toEqual(['west-10']);
      await page.goto(`${cluster.url}/maintenance`);
      await expect.poll(() => hosts.allTextContents()).toEqual(['west-1DRAINED0']);
      expect(await page.locator('main .note').textContent()).toContain('GET /agents answers 404');
      await page.getByRole('link', { name: 'west-1', exact: true }).click();
      await page.waitForURL(/\/agents\/west-1$/);
      await expect.poll(() => page.getByRole('table', { name: 'Finished tasks' }).locator('tbody tr').count()).toBe(2);
      expect(await page.locator('.facts .badge').textContent()).toBe('DRAINED');
      expect(await page.locator('main .note').textContent()).toContain('GET /agents answers 404');
      await cluster.client.killTasks(config.key!, [], 'done');
    } finally {
      await page.close();
      await cluster.close();
    }
  }, 30_000);

  it('serves its pages under a strict Content-Security-Policy and only its own modules', async () => {
    const page = await fetch(`${local.url}/scheduler/web`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|https?:\/\//);
    expect((await fetch(`${local.url}/assets/scheduler/ui/browser/app.js`)).status).toBe(200);
    expect((await fetch(`${local.url}/assets/index.js`)).status).toBe(404);
    expect((await fetch(`${local.url}/assets/scheduler/ui/../../index.js`)).status).toBe(404);
    expect((await fetch(`${local.url}/`, { redirect: 'manual' })).headers.get('location')).toBe('/scheduler');
  });

  it('is read-only: with --basic-auth-file its pages stay open like the API\'s reads, and it sends no write call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-ui-auth-'));
    const usersFile = join(dir, 'security.ini');
    writeFileSync(usersFile, `[users]\nalice = ${await hashPassword('alice-pw')}, admin\n[roles]\nadmin = *\n`);
    const secured = await startTestScheduler({ executors: [shellExecutor('talker', 'exec sleep 60')], basicAuthFile: usersFile });
    const page = await context.newPage();
    try {
      const alice = new AuroraClient({ url: secured.url, auth: { username: 'alice', password: 'alice-pw' } });
      const config = testJob({ name: 'guarded', role: 'ops', executor: 'talker' });
      await alice.createJob(config);
      const calls: string[] = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname === '/api') calls.push(String(JSON.parse(request.postData() ?? '[]')[1]));
      });
      await page.goto(`${secured.url}/scheduler/ops/devel/guarded`);
      await expect.poll(() => page.locator('[aria-label="Active tasks"] .body [role=row]').count()).toBe(1);
      await page.goto(`${secured.url}/scheduler/ops`);
      await expect.poll(() => page.locator('main').textContent()).toContain('guarded');
      const reads = ['getTasksWithoutConfigs', 'getJobSummary', 'getJobUpdateSummaries', 'getQuota', 'getPendingReason'];
      expect(calls.filter((method) => !reads.includes(method))).toEqual([]);
      expect(calls).toContain('getQuota');
      await alice.killTasks(config.key!, [], 'done');
    } finally {
      await page.close();
      await secured.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
