#!/usr/bin/env node
// Local scheduler benchmark. The scheduler (dist/) always runs in a child process of its own; this
// process is the load generator and the observer.
//
//   npm run build && node test/bench/scheduler.mjs [--small] [--runs N] [--seconds S] [--only rpc,launch,update] [--cpu-prof]
//
// 1. RPC throughput: getJobSummary, getTasksWithoutConfigs and getJobUpdateSummaries, each in the
//    binary protocol and in TJSON, for a role of 5 jobs × 4 RUNNING instances and one of 50 × 4 (each
//    job with one finished update), all in one scheduler: 20 concurrent keep-alive node:http clients
//    against the scheduler and against a bare node:http server answering the same pre-encoded reply
//    bytes (the ceiling of this stack). For each of the 12 cases, --runs pairs (7) of --seconds (0.6)
//    alternate between the two (many short pairs: the machine's load comes in bursts, and the median
//    of the per-pair ratios is what is reported). p50/p99 and each server's CPU time per request too.
// 2. Launch: createJob of N instances of an executor that `exec sleep 600`s, timed from the call to
//    the last task's RUNNING event, for N = 250, 500, 1,000 (each in a fresh scheduler). Growth:
//    t(1000) / t(250) ≤ 5 (linear would be 4).
//    The tasks are placed over 4 agents (startScheduler's `agents`), all processes of this machine.
// 3. Rolling update of 100 RUNNING instances to a new config, batch 10, no watch
//    (minWaitInInstanceRunningMs 0), timed from startJobUpdate to ROLLED_FORWARD.
// 4. Memory per task with --state-dir: N = 100 one-process tasks (`exec sleep 600`) RUNNING, then the
//    PSS (/proc/PID/smaps_rollup) of every process in their sandboxes: the task's own (it carries the
//    task marker) and everything else there (its owner, which supervises it; a Node supervisor where
//    no owner can run), not the scheduler. Overhead per task = the others' PSS / N; target ≤ 4 MB.
//    Then again with agent processes (`agentProcesses`): the 4 agents' processes count as overhead
//    too, and their PSS is reported apiece.
//
// Launch and update are each run --launch-runs times (3; medians reported).
// --agent-processes: launches with a state directory and agent processes (`agentProcesses`) instead.
// --small: 20/40/80 tasks, a 10-instance update, 20 tasks for memory, a 10-job big role, one 0.5 s
// pair per RPC case, no thresholds (a CI smoke run).
// --cpu-prof writes the scheduler child's CPU profiles to .bench/prof/. Writes .bench/scheduler.json.
// --cases TEXT measures only the RPC cases whose name contains TEXT (e.g. "TJSON, 50 jobs").
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { flag, median, option, percentile, printRows, printTargets, root, sleep, startChild, writeReport } from './_util.mjs';

const small = flag('--small');
const runs = Number(option('--runs', small ? 1 : 7));
const launchRuns = Number(option('--launch-runs', small ? 1 : 3));
const seconds = Number(option('--seconds', small ? 0.5 : 0.6));
const warmSeconds = small ? 0.25 : 0.5;
const concurrency = 20;
const sizes = option('--sizes', small ? '20,40,80' : '250,500,1000').split(',').map(Number);
const updateSize = small ? 10 : 100;
const memoryTasks = small ? 20 : 100;
const only = new Set(option('--only', 'rpc,launch,update,memory').split(','));
const profile = flag('--cpu-prof');
const launchWithAgents = flag('--agent-processes');
const onlyCases = option('--cases', '');

const dist = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const { AuroraClient } = await dist('client/client.js');
const P = await dist('protocol/index.js');
const { ResponseCode, ScheduleStatus, JobUpdateStatus } = await dist('gen/types.js');

const work = mkdtempSync(join(tmpdir(), 'aurora-ts-bench-scheduler-'));
const executors = join(work, 'executors.json');
writeFileSync(executors, JSON.stringify([{ executor: { name: 'sleeper', command: { value: 'exec sleep 600', shell: true }, resources: [] }, task_prefix: 'sleep-' }]));
const profDir = join(root, '.bench/prof');
if (profile) mkdirSync(profDir, { recursive: true });

let schedulers = 0;
/** A fresh scheduler in a child process, with room for every task the benchmark starts. */
const AGENTS = [1, 2, 3, 4].map((i) => ({ host: `agent-${i}`, attributes: { host: `agent-${i}` }, resources: { cpus: 25_000, ramMb: 25_000_000, diskMb: 25_000_000 } }));
async function scheduler({ durable = false, agentProcesses = false } = {}) {
  const workDir = join(work, `scheduler-${++schedulers}`);
  // A state directory inside the work directory, so that killLeftovers finds its sandboxes too.
  const options = { executors, workDir, agents: AGENTS, killGraceMs: 1000, maintenance: undefined, ...(durable ? { stateDir: join(workDir, 'state') } : {}), ...(agentProcesses ? { agentProcesses } : {}) };
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const child = await startChild(join(root, 'test/bench/_scheduler.mjs'), [JSON.stringify(options)], { nodeArgs, graceMs: 120_000 });
  const client = new AuroraClient({ url: child.url, timeoutMs: 120_000 });
  return {
    ...child,
    client,
    async stop() {
      client.close();
      const t0 = performance.now();
      await child.stop();
      const ms = performance.now() - t0;
      await killLeftovers(workDir);
      // Sandboxes go now (outside any timing), not all at the end.
      await rm(workDir, { recursive: true, force: true });
      return ms;
    },
  };
}

/** Task processes outlive their scheduler by design (supervisors): kill whatever still runs in its sandboxes. */
async function killLeftovers(workDir) {
  let killed = 0;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd.startsWith(workDir)) {
      try {
        process.kill(Number(name), 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
  }
  if (killed > 0) console.log(`  (killed ${killed} leftover task processes)`);
}

function job(name, instances, data = 'v1', role = 'www-data') {
  const key = { role, environment: 'prod', name };
  return {
    key,
    owner: { user: 'bench' },
    instanceCount: instances,
    taskConfig: {
      job: key,
      owner: { user: 'bench' },
      isService: true,
      resources: [{ numCpus: 0.01 }, { ramMb: 1 }, { diskMb: 1 }],
      executorConfig: { name: 'sleeper', data },
    },
  };
}

async function runningTasks(client, key) {
  return (await client.getTasksWithoutConfigs({ jobKeys: [key], statuses: [ScheduleStatus.RUNNING] })).tasks ?? [];
}

const ACTIVE = [ScheduleStatus.PENDING, ScheduleStatus.THROTTLED, ScheduleStatus.ASSIGNED, ScheduleStatus.STARTING, ScheduleStatus.RUNNING, ScheduleStatus.KILLING, ScheduleStatus.RESTARTING, ScheduleStatus.DRAINING, ScheduleStatus.PREEMPTING];
const NOT_YET_RUNNING = [ScheduleStatus.INIT, ScheduleStatus.PENDING, ScheduleStatus.THROTTLED, ScheduleStatus.ASSIGNED, ScheduleStatus.STARTING];

/**
 * Waits until none of the job's `count` tasks is still on its way to RUNNING. The poll asks for at
 * most one such task, so that watching costs the scheduler little however many tasks there are
 * (fetching every task each time would grow the benchmark's own load with the square of the count).
 */
async function waitRunning(client, key, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = (await client.getTasksWithoutConfigs({ jobKeys: [key], statuses: NOT_YET_RUNNING, limit: 1 })).tasks ?? [];
    if (waiting.length === 0) {
      const tasks = await runningTasks(client, key);
      if (tasks.length >= count) return tasks;
      throw new Error(`${count - tasks.length} of ${count} tasks of ${key.name} ended instead of RUNNING`);
    }
    if (Date.now() > deadline) throw new Error(`tasks of ${key.name} still not RUNNING after ${timeoutMs} ms`);
    await sleep(200);
  }
}

const runningAt = (task) => Math.max(...task.taskEvents.filter((e) => e.status === ScheduleStatus.RUNNING).map((e) => Number(e.timestamp)));

// ---------------------------------------------------------------- 1. RPC throughput
const CONTENT_TYPES = { binary: 'application/vnd.apache.thrift.binary', json: 'application/vnd.apache.thrift.json' };
/** The read RPCs measured, with their arguments for a role: what `job list`, the web UI and gorealis poll. */
const RPCS = {
  getJobSummary: (role) => ({ role }),
  getTasksWithoutConfigs: (role) => ({ query: { role, statuses: ACTIVE } }),
  getJobUpdateSummaries: (role) => ({ jobUpdateQuery: { role } }),
};
/** The roles they are asked about: a small one and a big one, both in the same scheduler. */
const ROLES = [
  { role: 'www-data', jobs: 5, instances: 4 },
  { role: 'big', jobs: small ? 10 : 50, instances: 4 },
];
const PROTOCOLS = ['binary', 'json'];

function post(agent, url, body, contentType) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api`, { method: 'POST', agent, headers: { 'Content-Type': contentType, Accept: contentType, 'Content-Length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU time (user + system, ms) process `pid` has used so far. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/**
 * `concurrency` keep-alive clients sending `body` to `server.url` for `warmMs` + `ms`; requests/s and
 * latencies of the measured part, and the server process's CPU time per request over the whole run.
 */
async function load(server, body, contentType, ms, warmMs = 500) {
  const url = server.url;
  const cpu0 = cpuMs(server.pid);
  let all = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let count = 0;
  const start = performance.now();
  const measureFrom = start + warmMs;
  const end = measureFrom + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const t0 = performance.now();
        if (t0 >= end) return;
        await post(agent, url, body, contentType);
        all++;
        const t1 = performance.now();
        if (t0 >= measureFrom) {
          latencies.push(t1 - t0);
          count++;
        }
      }
    }),
  );
  agent.destroy();
  const cpuUs = ((cpuMs(server.pid) - cpu0) * 1000) / all;
  return { rps: count / (ms / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), requests: count, cpuUs };
}

/** Every job of every role RUNNING, updated once from v1 to v2 (ROLLED_FORWARD), so each RPC has a role's worth to answer. */
async function populate(s) {
  for (const { role, jobs, instances } of ROLES) {
    for (let i = 0; i < jobs; i++) await s.client.createJob(job(`svc-${i}`, instances, 'v1', role));
  }
  for (const { role, jobs, instances } of ROLES) {
    for (let i = 0; i < jobs; i++) await waitRunning(s.client, job(`svc-${i}`, instances, 'v1', role).key, instances, 120_000);
  }
  const settings = { updateGroupSize: 4, maxPerInstanceFailures: 0, maxFailedInstances: 0, minWaitInInstanceRunningMs: 0, rollbackOnFailure: false, waitForBatchCompletion: false };
  const keys = [];
  for (const { role, jobs, instances } of ROLES) {
    for (let i = 0; i < jobs; i++) {
      const config = job(`svc-${i}`, instances, 'v2', role);
      keys.push((await s.client.startJobUpdate({ taskConfig: config.taskConfig, instanceCount: instances, settings }, 'benchmark')).key);
    }
  }
  for (const key of keys) {
    for (const deadline = Date.now() + 60_000; ; ) {
      const status = (await s.client.getJobUpdateDetails(key, { key })).detailsList[0].update.summary.state.status;
      if (status === JobUpdateStatus.ROLLED_FORWARD) break;
      if (status !== JobUpdateStatus.ROLLING_FORWARD) throw new Error(`update of ${key.job.role}/${key.job.name} ended ${JobUpdateStatus[status]}`);
      if (Date.now() > deadline) throw new Error('update did not finish in time');
      await sleep(50);
    }
  }
}

/** What a reply must hold for its role (so that the bench never measures an error reply). */
function checkReply(method, role, response) {
  if (response.responseCode !== ResponseCode.OK) throw new Error(`${method}(${role.role}) answered ${ResponseCode[response.responseCode]}`);
  const result = response.result;
  const count = {
    getJobSummary: () => result.jobSummaryResult.summaries.length,
    getTasksWithoutConfigs: () => result.scheduleStatusResult.tasks.length,
    getJobUpdateSummaries: () => result.getJobUpdateSummariesResult.updateSummaries.length,
  }[method]();
  const expected = method === 'getTasksWithoutConfigs' ? role.jobs * role.instances : role.jobs;
  if (count !== expected) throw new Error(`${method}(${role.role}) answered ${count} items, expected ${expected}`);
}

async function rpcBenchmark() {
  const s = await scheduler();
  let bare;
  try {
    await populate(s);
    // Each case's request, and the scheduler's reply to it, which the bare server answers as is.
    const cases = [];
    const agent = new http.Agent({ keepAlive: true });
    for (const role of ROLES) {
      for (const method of Object.keys(RPCS)) {
        for (const protocol of PROTOCOLS) {
          const request = P.encodeCall(protocol, method, 1, RPCS[method](role.role));
          const reply = await post(agent, s.url, request, CONTENT_TYPES[protocol]);
          checkReply(method, role, P.decodeReply(protocol, method, reply));
          const name = `${method}, ${protocol === 'json' ? 'TJSON' : 'binary'}, ${role.jobs} jobs × ${role.instances}`;
          if (name.includes(onlyCases)) cases.push({ name, method, protocol, role, request, reply });
        }
      }
    }
    agent.destroy();
    const repliesFile = join(work, 'replies.json');
    writeFileSync(repliesFile, JSON.stringify(cases.map((c) => ({ request: c.request.toString('base64'), reply: c.reply.toString('base64'), contentType: CONTENT_TYPES[c.protocol] }))));
    bare = await startChild(join(root, 'test/bench/_bare-server.mjs'), [repliesFile]);
    const results = [];
    for (const c of cases) {
      const type = CONTENT_TYPES[c.protocol];
      // Warm both servers' JIT for this reply (and this process') before anything counts.
      await load(bare, c.request, type, warmSeconds * 1000, 0);
      await load(s, c.request, type, warmSeconds * 1000, 0);
      const pairs = [];
      for (let i = 0; i < runs; i++) {
        // Alternate which goes first, so neither always gets the quieter moment.
        const [a, b] = i % 2 === 0 ? [bare, s] : [s, bare];
        const first = await load(a, c.request, type, seconds * 1000, 100);
        const second = await load(b, c.request, type, seconds * 1000, 100);
        pairs.push(i % 2 === 0 ? { bare: first, ours: second } : { bare: second, ours: first });
      }
      const pick = (side, field) => median(pairs.map((p) => p[side][field]));
      const result = {
        name: c.name,
        method: c.method,
        protocol: c.protocol,
        jobs: c.role.jobs,
        instances: c.role.instances,
        replyBytes: c.reply.length,
        bare: { rps: pick('bare', 'rps'), p50: pick('bare', 'p50'), p99: pick('bare', 'p99'), cpuUs: pick('bare', 'cpuUs') },
        ours: { rps: pick('ours', 'rps'), p50: pick('ours', 'p50'), p99: pick('ours', 'p99'), cpuUs: pick('ours', 'cpuUs') },
        ratio: median(pairs.map((p) => p.ours.rps / p.bare.rps)),
        pairs: pairs.map((p) => p.ours.rps / p.bare.rps),
        loadAverage: loadavg()[0],
      };
      console.log(
        `  ${c.name}: ${(result.ratio * 100).toFixed(0)} % of the bare server (${result.ours.rps.toFixed(0)} / ${result.bare.rps.toFixed(0)} req/s; server CPU ${result.ours.cpuUs.toFixed(0)} / ${result.bare.cpuUs.toFixed(0)} µs per request; ${c.reply.length} bytes; load average ${result.loadAverage.toFixed(1)})`,
      );
      results.push(result);
    }
    return results;
  } finally {
    await bare?.stop();
    await s.stop();
  }
}

// ---------------------------------------------------------------- 2. launch
async function launch(n) {
  const s = await scheduler(launchWithAgents ? { durable: true, agentProcesses: true } : {});
  try {
    const config = job(`launch-${n}`, n);
    const t0 = Date.now();
    await s.client.createJob(config);
    const accepted = Date.now() - t0;
    const tasks = await waitRunning(s.client, config.key, n, Math.max(120_000, n * 1000));
    const times = tasks.map(runningAt).sort((a, b) => a - b);
    const ms = times[times.length - 1] - t0;
    // When each quarter of the tasks was RUNNING: a rate that falls as tasks accumulate shows here.
    const quarters = [0.25, 0.5, 0.75, 1].map((q) => times[Math.ceil(q * n) - 1] - t0);
    const stopMs = await s.stop();
    return { tasks: n, ms, perTaskMs: ms / n, quartersMs: quarters, createJobMs: accepted, closeMs: stopMs };
  } catch (error) {
    await s.stop();
    throw error;
  }
}

// ---------------------------------------------------------------- 3. rolling update
async function rollingUpdate(n) {
  const s = await scheduler();
  try {
    const v1 = job('rolling', n, 'v1');
    await s.client.createJob(v1);
    await waitRunning(s.client, v1.key, n, Math.max(120_000, n * 1000));
    const v2 = job('rolling', n, 'v2');
    const t0 = Date.now();
    const started = await s.client.startJobUpdate(
      {
        taskConfig: v2.taskConfig,
        instanceCount: n,
        settings: { updateGroupSize: 10, maxPerInstanceFailures: 0, maxFailedInstances: 0, minWaitInInstanceRunningMs: 0, rollbackOnFailure: false, waitForBatchCompletion: false },
      },
      'benchmark',
    );
    const key = started.key;
    const deadline = Date.now() + Math.max(120_000, n * 2000);
    let details;
    for (;;) {
      details = (await s.client.getJobUpdateDetails(key, { key })).detailsList[0];
      const status = details.update.summary.state.status;
      if (status === JobUpdateStatus.ROLLED_FORWARD) break;
      if (![JobUpdateStatus.ROLLING_FORWARD].includes(status)) throw new Error(`update ended ${JobUpdateStatus[status]}`);
      if (Date.now() > deadline) throw new Error('update did not finish in time');
      await sleep(100);
    }
    const finished = Math.max(...details.updateEvents.map((e) => Number(e.timestampMs)));
    const ms = finished - t0;
    const tasks = (await s.client.getTasksStatus({ jobKeys: [v1.key], statuses: [ScheduleStatus.RUNNING] })).tasks ?? [];
    if (tasks.length !== n || tasks.some((t) => t.assignedTask.task.executorConfig.data !== 'v2')) throw new Error('update finished without every instance on v2');
    await s.stop();
    return { instances: n, batch: 10, ms, perTaskMs: ms / n };
  } catch (error) {
    await s.stop();
    throw error;
  }
}

// ---------------------------------------------------------------- 4. memory per task
/** Proportional set size of a process in bytes (shared pages split among their users), or undefined once gone. */
async function pss(pid) {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => undefined);
  const kb = text?.match(/^Pss:\s+(\d+) kB/m)?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

async function memoryPerTask(n, agentProcesses = false) {
  const s = await scheduler({ durable: true, agentProcesses });
  try {
    const config = job(`memory-${n}`, n);
    await s.client.createJob(config);
    await waitRunning(s.client, config.key, n, Math.max(120_000, n * 1000));
    let task = 0;
    let other = 0;
    const seen = { task: 0, other: 0 };
    const agents = [];
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      // Every process of a task (owner included) works in its sandbox, under this benchmark's directory; the scheduler does not.
      const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
      if (!cwd.startsWith(`${work}/`)) continue;
      const environ = await readFile(`/proc/${name}/environ`, 'latin1').catch(() => '');
      const bytes = await pss(name);
      if (bytes === undefined) continue;
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'latin1').catch(() => '');
      if (cmdline.includes('agent-main.js')) agents.push(bytes);
      if (`\0${environ}`.includes('\0AURORA_TS_TASK=')) {
        task += bytes;
        seen.task++;
      } else {
        other += bytes;
        seen.other++;
      }
    }
    return { tasks: n, taskProcesses: seen.task, otherProcesses: seen.other, taskPssPerTask: task / n, overheadPssPerTask: other / n, agentPss: agents };
  } finally {
    await s.stop();
  }
}

// ---------------------------------------------------------------- run
const report = { small, runs, seconds, concurrency };
try {
  if (only.has('rpc')) report.rpc = await rpcBenchmark();
  if (only.has('launch')) {
    // Sizes interleaved (250, 500, 1000, 250, ...) so that the machine's load drifts over all alike.
    const samples = new Map(sizes.map((n) => [n, []]));
    for (let round = 0; round < launchRuns; round++) {
      for (const n of sizes) {
        const result = await launch(n);
        samples.get(n).push(result);
        console.log(`  launch ${round + 1}/${launchRuns}: ${n} tasks RUNNING in ${result.ms} ms`);
      }
    }
    report.launch = sizes.map((n) => {
      const all = samples.get(n);
      const ms = median(all.map((r) => r.ms));
      return { tasks: n, ms, perTaskMs: ms / n, runs: all };
    });
    report.launchGrowthRuns = [...Array(launchRuns).keys()].map((i) => samples.get(sizes.at(-1))[i].ms / samples.get(sizes[0])[i].ms);
  }
  if (only.has('update')) {
    const all = [];
    for (let i = 0; i < launchRuns; i++) all.push(await rollingUpdate(updateSize));
    const ms = median(all.map((u) => u.ms));
    report.update = { instances: updateSize, batch: 10, ms, perTaskMs: ms / updateSize, runs: all.map((u) => u.ms) };
  }
  if (only.has('memory')) {
    report.memory = await memoryPerTask(memoryTasks);
    report.memoryAgents = await memoryPerTask(memoryTasks, true);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`local scheduler benchmark (node ${process.version}, ${(await readFile('/proc/cpuinfo', 'utf8')).match(/^processor/gm).length} CPUs)\n`);
const rows = [];
for (const c of report.rpc ?? []) {
  rows.push(
    [`${c.name}: bare node:http`, c.bare.rps.toFixed(0), `req/s  p50 ${c.bare.p50.toFixed(2)} ms, p99 ${c.bare.p99.toFixed(2)} ms, ${c.bare.cpuUs.toFixed(0)} µs CPU/request`],
    [`${c.name}: local scheduler`, c.ours.rps.toFixed(0), `req/s  p50 ${c.ours.p50.toFixed(2)} ms, p99 ${c.ours.p99.toFixed(2)} ms, ${c.ours.cpuUs.toFixed(0)} µs CPU/request (${c.replyBytes} bytes)`],
  );
}
for (const l of report.launch ?? []) rows.push([`createJob → ${l.tasks} tasks RUNNING`, (l.ms / 1000).toFixed(2), `s  (${l.perTaskMs.toFixed(1)} ms/task)`]);
if (report.update) rows.push([`rolling update of ${report.update.instances} instances, batch 10`, (report.update.ms / 1000).toFixed(2), `s  (${report.update.perTaskMs.toFixed(1)} ms/task)`]);
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(2);
if (report.memory) {
  const m = report.memory;
  rows.push(
    [`--state-dir, ${m.tasks} one-process tasks: PSS per task, the task's own process`, mb(m.taskPssPerTask), `MB  (${m.taskProcesses} processes)`],
    ['  PSS per task beyond the task (its owner/supervisor)', mb(m.overheadPssPerTask), `MB  (${m.otherProcesses} processes)`],
  );
}
if (report.memoryAgents) {
  const m = report.memoryAgents;
  rows.push(
    [`  with agent processes: PSS per task beyond the task (owner + ${m.agentPss.length} agents)`, mb(m.overheadPssPerTask), `MB  (${m.otherProcesses} processes)`],
    ['  PSS of one agent process (median)', mb(median(m.agentPss)), 'MB'],
  );
}
printRows(rows);
console.log('');
const targets = [];
for (const c of report.rpc ?? []) targets.push({ name: `${c.name} / bare node:http`, value: c.ratio * 100, min: 70, unit: '%' });
if (report.launch?.length === 3) targets.push({ name: `launch growth t(${sizes[2]}) / t(${sizes[0]}) (medians)`, value: report.launch[2].ms / report.launch[0].ms, max: 5 });
if (report.memory) targets.push({ name: 'memory per task beyond its own processes (--state-dir)', value: report.memory.overheadPssPerTask / 1024 / 1024, max: 4, unit: ' MB' });
if (report.memoryAgents) targets.push({ name: 'the same with agent processes', value: report.memoryAgents.overheadPssPerTask / 1024 / 1024, max: 4, unit: ' MB' });
const missed = printTargets(targets, small);
report.targets = targets;
writeReport('scheduler', report);
if (missed && !small) process.exitCode = 1;
