/**
 * A job naming an executor its cluster does not define, or using what the cluster forbids, is
 * rejected by the CLI with the scheduler's own message, exit 2 and no request sent.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/scheduler/api-server.js';
import { cleanEnv, EXAMPLE_EXECUTORS, jobFile, oneErrorLine, runCli, tempDir } from './helpers.js';

/** A "scheduler" that only counts what reaches it. */
let requests = 0;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(503).end();
  });
  url = await listen(server);
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const dir = tempDir();
const docker = () => jobFile(dir, 'docker', { executor: undefined, container: { docker: { image: 'nginx:1.27' } } });

function clustersJson(env: NodeJS.ProcessEnv, entries: unknown[]): void {
  mkdirSync(join(env['HOME']!, '.aurora'), { recursive: true });
  writeFileSync(join(env['HOME']!, '.aurora', 'clusters.json'), JSON.stringify(entries));
}

describe('cluster rules before anything is sent', () => {
  it('rejects an executor the cluster does not define (AURORA_CUSTOM_EXECUTOR_CONFIG)', async () => {
    const before = requests;
    const env = cleanEnv({ AURORA_CUSTOM_EXECUTOR_CONFIG: EXAMPLE_EXECUTORS });
    const file = jobFile(dir, 'unknown-executor', { executor: { name: 'nope', data: '' } });
    const result = await runCli(['--scheduler-url', url, 'job', 'create', file], { env });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(`aurora-ts: ${file}: taskConfig.executorConfig.name: Configuration for executor 'nope' doesn't exist.`);
    expect(requests).toBe(before);
  });

  it("uses the cluster's custom_executor_config and policy from clusters.json", async () => {
    const env = cleanEnv();
    clustersJson(env, [
      { name: 'strict', scheduler_uri: url, custom_executor_config: EXAMPLE_EXECUTORS },
      { name: 'docker-ok', scheduler_uri: url, policy: { allow_docker: true } },
    ]);
    const before = requests;
    const unknown = jobFile(dir, 'unknown-on-strict', { cluster: 'strict', executor: { name: 'nope', data: '' } });
    const rejected = await runCli(['job', 'create', unknown], { env });
    expect(rejected.code).toBe(2);
    expect(oneErrorLine(rejected)).toContain("Configuration for executor 'nope' doesn't exist.");

    const dockerOnStrict = await runCli(['job', 'create', docker(), '--cluster', 'strict'], { env });
    expect(dockerOnStrict.code).toBe(2);
    expect(oneErrorLine(dockerOnStrict)).toMatch(/docker/i);
    expect(requests).toBe(before);

    // Where the cluster allows Docker, the job passes the local checks and is sent.
    const allowed = await runCli(['job', 'create', docker(), '--cluster', 'docker-ok', '--timeout', '2'], { env });
    expect(requests).toBeGreaterThan(before);
    expect(allowed.code).not.toBe(2);
  });

  it('applies the rules every Aurora applies even with --scheduler-url', async () => {
    const before = requests;
    const file = jobFile(dir, 'bad-env', { environment: 'qa' });
    const result = await runCli(['--scheduler-url', url, 'job', 'create', file], { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(`aurora-ts: ${file}: key.environment: Job environment qa doesn't match: ^(prod|devel|test|staging\\d*)$`);
    expect(requests).toBe(before);
  });
});
