/**
 * Load: LOAD_CLIENTS concurrent clients (50) for LOAD_SECONDS (10 in CI; `node scripts/soak.mjs`
 * runs 60 and more) of mixed reads and writes against the local scheduler over real HTTP, the
 * scheduler (the built dist/) in a process of its own as in use. Zero errors; every acknowledged
 * write is there afterwards (live jobs have tasks, killed ones none, cron jobs and quotas as last
 * set); p50/p99 of reads, of writes and of all calls printed and written to
 * .bench/reliability-load.json. Latency is reported, not asserted (timings on a shared machine flake):
 * docs/reliability.md has the figures.
 */
import { loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus, type JobKey } from '../../src/gen/types.js';
import { envInt, jobConfig, percentile, report, schedulerOptions, schedulerProcess, writeBench, type SchedulerProcess } from './helpers.js';

const CLIENTS = envInt('LOAD_CLIENTS', 50);
const SECONDS = envInt('LOAD_SECONDS', 10);
/** Live jobs a client keeps at most (each is a real process), so the machine is not the bottleneck. */
const LIVE_PER_CLIENT = 1;
const ACTIVE = [ScheduleStatus.PENDING, ScheduleStatus.ASSIGNED, ScheduleStatus.STARTING, ScheduleStatus.RUNNING, ScheduleStatus.THROTTLED];

let scheduler: SchedulerProcess;

beforeAll(async () => {
  scheduler = await schedulerProcess(schedulerOptions());
});
afterAll(async () => {
  // Killing every live task's process tree takes a while (see docs/reliability.md).
  await scheduler?.close();
}, 180_000);

interface ClientLedger {
  live: JobKey[];
  killed: JobKey[];
  cron: JobKey[];
  quota: number | undefined;
  role: string;
}

const READS = ['getJobSummary', 'getTasksStatus', 'getQuota', 'getJobs'] as const;
const WRITES = ['createJob', 'killTasks', 'scheduleCronJob', 'setQuota'] as const;
type Op = (typeof READS)[number] | (typeof WRITES)[number];

describe(`${CLIENTS} clients for ${SECONDS} s of mixed reads and writes`, () => {
  it(
    'serves every call, loses no acknowledged write, and reports latency',
    async () => {
      const latencies: Record<string, number[]> = {};
      const errors: string[] = [];
      const deadline = Date.now() + SECONDS * 1000;
      const ledgers: ClientLedger[] = [];

      async function worker(index: number): Promise<void> {
        const client = new AuroraClient({ url: scheduler.url, protocol: index % 2 === 0 ? 'binary' : 'json', netrc: false, retry: false, timeoutMs: 15_000 });
        const ledger: ClientLedger = { live: [], killed: [], cron: [], quota: undefined, role: `load${index}` };
        ledgers.push(ledger);
        let serial = 0;
        const timed = async (op: Op, call: () => Promise<unknown>): Promise<boolean> => {
          const t0 = performance.now();
          try {
            await call();
            (latencies[op] ??= []).push(performance.now() - t0);
            return true;
          } catch (error) {
            errors.push(`${op}: ${(error as Error).message}`);
            return false;
          }
        };
        const key = (name: string): JobKey & { name: string } => ({ role: ledger.role, environment: 'devel', name });
        try {
          while (Date.now() < deadline) {
            const roll = Math.random();
            if (roll < 0.2) await timed('getJobSummary', () => client.getJobSummary(ledger.role));
            else if (roll < 0.4) await timed('getTasksStatus', () => client.getTasksStatus({ role: ledger.role, statuses: ACTIVE }));
            else if (roll < 0.5) await timed('getQuota', () => client.getQuota(ledger.role));
            else if (roll < 0.6) await timed('getJobs', () => client.getJobs(ledger.role));
            else if (roll < 0.75) {
              if (ledger.live.length >= LIVE_PER_CLIENT) {
                const victim = ledger.live.shift()!;
                if (await timed('killTasks', () => client.killTasks(victim, [], 'load test'))) ledger.killed.push(victim);
                else ledger.live.unshift(victim);
              } else {
                const k = key(`job${serial++}`);
                const config = jobConfig(k.name, 1, { key: k });
                config.taskConfig!.job = k;
                config.taskConfig!.isService = false;
                if (await timed('createJob', () => client.createJob(config))) ledger.live.push(k);
              }
            } else if (roll < 0.85) {
              const k = key(`cron${serial++}`);
              const config = jobConfig(k.name, 1, { key: k, cronSchedule: '0 0 1 1 *' });
              config.taskConfig!.job = k;
              config.taskConfig!.isService = false;
              if (await timed('scheduleCronJob', () => client.scheduleCronJob(config))) ledger.cron.push(k);
            } else {
              const cpus = 1 + (serial++ % 50);
              if (await timed('setQuota', () => client.setQuota(ledger.role, { resources: [{ numCpus: cpus }, { ramMb: 1024 }, { diskMb: 1024 }] }))) ledger.quota = cpus;
            }
          }
        } finally {
          client.close();
        }
      }

      const started = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, (_, i) => worker(i)));
      const elapsed = (performance.now() - started) / 1000;

      // Every acknowledged write is visible afterwards.
      const checker = new AuroraClient({ url: scheduler.url, netrc: false });
      let missing = 0;
      try {
        for (const ledger of ledgers) {
          const active = (await checker.getTasksStatus({ role: ledger.role, statuses: ACTIVE })).tasks ?? [];
          const activeJobs = new Set(active.map((t) => t.assignedTask?.task?.job?.name));
          for (const k of ledger.live) if (!activeJobs.has(k.name)) missing++;
          for (const k of ledger.killed) expect(activeJobs.has(k.name), `${k.role}/${k.name} was killed`).toBe(false);
          const jobs = (await checker.getJobs(ledger.role)).configs ?? [];
          const cronNames = new Set(jobs.filter((j) => j.cronSchedule).map((j) => j.key?.name));
          for (const k of ledger.cron) if (!cronNames.has(k.name)) missing++;
          if (ledger.quota !== undefined) {
            const quota = (await checker.getQuota(ledger.role)).quota?.resources ?? [];
            expect(quota.find((r) => r.numCpus !== undefined && r.numCpus !== null)?.numCpus).toBe(ledger.quota);
          }
        }
      } finally {
        checker.close();
      }

      const all = Object.values(latencies).flat().sort((a, b) => a - b);
      const of = (ops: readonly Op[]) => ops.flatMap((op) => latencies[op] ?? []).sort((a, b) => a - b);
      const reads = of(READS);
      const writeLatencies = of(WRITES);
      const byOp = Object.fromEntries(
        Object.entries(latencies).map(([op, values]) => {
          const sorted = values.sort((a, b) => a - b);
          return [op, { calls: sorted.length, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) }];
        }),
      );
      const writes = writeLatencies.length;
      const result = {
        clients: CLIENTS,
        seconds: SECONDS,
        calls: all.length,
        writes,
        callsPerSecond: round(all.length / elapsed),
        errors: errors.length,
        missingAcknowledgedWrites: missing,
        p50Ms: round(percentile(all, 50)),
        p99Ms: round(percentile(all, 99)),
        maxMs: round(all[all.length - 1] ?? NaN),
        readP50Ms: round(percentile(reads, 50)),
        readP99Ms: round(percentile(reads, 99)),
        writeP50Ms: round(percentile(writeLatencies, 50)),
        writeP99Ms: round(percentile(writeLatencies, 99)),
        loadAverage: loadavg().map(round),
        byOp,
        node: process.version,
        at: new Date().toISOString(),
      };
      writeBench('reliability-load.json', result);
      const { readP50Ms, readP99Ms, writeP50Ms, writeP99Ms, loadAverage } = result;
      report('load', { clients: CLIENTS, seconds: SECONDS, calls: all.length, writes, errors: errors.length, missing, p50Ms: result.p50Ms, p99Ms: result.p99Ms, readP50Ms, readP99Ms, writeP50Ms, writeP99Ms, loadAverage });
      expect(errors.slice(0, 5)).toEqual([]);
      expect(missing).toBe(0);
      expect(writes).toBeGreaterThan(CLIENTS);
    },
    (SECONDS + 60) * 1000,
  );
});

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
