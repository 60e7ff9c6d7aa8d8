/**
 * The executor's environment as the kit reads it: Mesos' duration text, each variable checked with
 * one line naming it, and runExecutor's answer outside an agent (no request is made: there is no
 * endpoint to make it to).
 */
import { describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/executor/env.js';
import { parseMesosDuration, runExecutor, type ContentType } from '../../src/executor/index.js';

const AGENT = {
  MESOS_AGENT_ENDPOINT: '127.0.0.1:5051',
  MESOS_FRAMEWORK_ID: 'fw',
  MESOS_EXECUTOR_ID: 'exec',
  MESOS_SANDBOX: '/tmp/sandbox',
};

describe('Mesos durations', () => {
  it.each([
    ['5secs', 5_000],
    ['15mins', 900_000],
    ['2ns', 2e-6],
    ['250ms', 250],
    ['1.5hrs', 5_400_000],
    ['3us', 0.003],
    ['1days', 86_400_000],
    ['2weeks', 1_209_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseMesosDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['5', '5s', 'secs', '-1secs', '5 secs', '1e3ms', ''])('%j is not one', (text) => {
    expect(parseMesosDuration(text)).toBeUndefined();
  });
});

describe('the environment', () => {
  it('reads what an agent sets, with Mesos defaults for the rest', () => {
    expect(readEnvironment({ ...AGENT, MESOS_CHECKPOINT: '1', MESOS_RECOVERY_TIMEOUT: '15mins', MESOS_SUBSCRIPTION_BACKOFF_MAX: '2secs', MESOS_EXECUTOR_AUTHENTICATION_TOKEN: 't' })).toEqual({
      agentEndpoint: '127.0.0.1:5051',
      frameworkId: 'fw',
      executorId: 'exec',
      sandbox: '/tmp/sandbox',
      checkpoint: true,
      recoveryTimeoutMs: 900_000,
      subscriptionBackoffMaxMs: 2_000,
      shutdownGraceMs: 5_000,
      token: 't',
    });
    const { MESOS_SANDBOX: _, ...withoutSandbox } = AGENT;
    expect(readEnvironment({ ...withoutSandbox, MESOS_DIRECTORY: '/tmp/dir' }).sandbox).toBe('/tmp/dir');
    expect(readEnvironment({ ...AGENT, MESOS_AGENT_ENDPOINT: '[::1]:5051' }).agentEndpoint).toBe('[::1]:5051');
  });

  it.each([
    [{ MESOS_AGENT_ENDPOINT: 'http://agent:5051' }, 'MESOS_AGENT_ENDPOINT must be host:port, not "http://agent:5051"'],
    [{ MESOS_FRAMEWORK_ID: '' }, 'MESOS_FRAMEWORK_ID is not set (the agent sets it for every executor)'],
    [{ MESOS_EXECUTOR_ID: undefined }, 'MESOS_EXECUTOR_ID is not set (the agent sets it for every executor)'],
    [{ MESOS_SANDBOX: undefined }, 'MESOS_SANDBOX (or MESOS_DIRECTORY) is not set (the agent sets it for every executor)'],
    [{ MESOS_CHECKPOINT: 'yes' }, 'MESOS_CHECKPOINT must be 0 or 1, not "yes"'],
    [
      { MESOS_RECOVERY_TIMEOUT: '15m' },
      'MESOS_RECOVERY_TIMEOUT must be a Mesos duration (a number and one of ns, us, ms, secs, mins, hrs, days, weeks, e.g. 5secs), not "15m"',
    ],
  ])('%j: %s', async (change, line) => {
    const logged: string[] = [];
    const exit = await runExecutor({ launch() {} }, { env: { ...AGENT, ...change }, log: (l) => logged.push(l) });
    expect(exit).toEqual({ code: 1, reason: `aurora-ts/executor: ${line}` });
    expect(logged).toEqual([`aurora-ts/executor: ${line}`]);
  });

  it('outside an agent: the one line, code 1', async () => {
    const logged: string[] = [];
    const exit = await runExecutor({ launch() {} }, { env: {}, log: (l) => logged.push(l) });
    const line = 'aurora-ts/executor: MESOS_AGENT_ENDPOINT is not set: run this executor under a Mesos agent or `aurora-ts scheduler start`';
    expect(exit).toEqual({ code: 1, reason: line });
    expect(logged).toEqual([line]);
  });

  it('a contentType other than the two Mesos speaks', async () => {
    const exit = await runExecutor({ launch() {} }, { env: AGENT, contentType: 'text/plain' as ContentType, log: () => undefined });
    expect(exit).toEqual({ code: 1, reason: 'aurora-ts/executor: contentType must be application/x-protobuf or application/json, not "text/plain"' });
  });
});
