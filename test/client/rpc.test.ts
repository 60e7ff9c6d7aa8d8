/**
 * Every RPC of the three services through a real HTTP server on 127.0.0.1, in both protocols: the
 * server sees exactly the arguments the caller passed, and the caller gets exactly the payload the
 * server put in the Response.
 */
import type { RequestListener, Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraResponseError } from '../../src/client/errors.js';
import { AuroraAuthError, AuroraRangeError, AuroraTimeoutError, AuroraTransportError, AuroraValidationError } from '../../src/errors.js';
import type { AuroraMethod } from '../../src/gen/api.js';
import { SCHEMA } from '../../src/gen/schema.js';
import { ResponseCode, ScheduleStatus, type Response, type Result } from '../../src/gen/types.js';
import { createApiServer, listen, type RpcHandlers } from '../../src/scheduler/api-server.js';
import { badInput } from '../support/bad-input.js';
import { sampleOf, sampleStruct } from '../support/samples.js';

const methods = Object.values(SCHEMA.methods);
const received = new Map<string, Record<string, unknown>>();
/** What each method answers; tests change it to drive response codes. */
let answer: (method: string) => Response = (method) => okWith(method);

function okWith(method: string, code = ResponseCode.OK, details: string[] = []): Response {
  const field = SCHEMA.methods[method]!.result;
  const resultField = SCHEMA.structs.Result!.fields.find((f) => f.name === field);
  return {
    responseCode: code,
    serverInfo: { clusterName: 'test', statsUrlPrefix: '' },
    details: details.map((message) => ({ message })),
    // The member the schema names for this method, so a Result; the types cannot follow a name looked up at run time.
    result: resultField ? ({ [resultField.name]: sampleOf(resultField.type, 3) } as Result) : undefined,
  };
}

let server: Server;
let url: string;

beforeAll(async () => {
  const handlers: RpcHandlers = {};
  for (const m of methods) {
    handlers[m.name as AuroraMethod] = (args) => {
      received.set(m.name, args);
      return answer(m.name);
    };
  }
  server = createApiServer({ handlers });
  url = await listen(server);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function argsFor(method: string): unknown[] {
  return SCHEMA.methods[method]!.args.map((a) => sampleOf(a.type, a.id));
}

describe.each(['binary', 'json'] as const)('every RPC over %s', (protocol) => {
  const client = () => new AuroraClient({ url, protocol, timeoutMs: 5000 });

  it('has all 45 methods, named after the RPCs', () => {
    expect(methods).toHaveLength(45);
    const c = client();
    for (const m of methods) expect(typeof (c as unknown as Record<string, unknown>)[m.name]).toBe('function');
  });

  it.each(methods.map((m) => m.name))('%s sends its arguments and returns its payload', async (name) => {
    const c = client();
    const args = argsFor(name);
    const result = await (c as unknown as Record<string, (...a: unknown[]) => Promise<Record<string, unknown>>>)[name]!(...args);
    const sent = received.get(name)!;
    const def = SCHEMA.methods[name]!;
    def.args.forEach((a, i) => expect(sent[a.name]).toEqual(args[i]));
    const field = def.result;
    const expected = field ? sampleOf(SCHEMA.structs.Result!.fields.find((f) => f.name === field)!.type, 3) : {};
    expect({ ...result }).toEqual(expected);
    expect(result.$response).toMatchObject({ code: ResponseCode.OK, codeName: 'OK', serverInfo: { clusterName: 'test' } });
  });

  it('takes sets as JS Sets (a set of structs included) and sends every member', async () => {
    const keys = new Set([{ role: 'www-data', environment: 'prod', name: 'a' }, { role: 'www-data', environment: 'prod', name: 'b' }]);
    await client().getTasksWithoutConfigs({ jobKeys: keys, statuses: new Set([ScheduleStatus.RUNNING]) });
    const query = received.get('getTasksWithoutConfigs')!.query as { jobKeys: unknown[]; statuses: unknown[] };
    expect(query.jobKeys).toEqual([...keys]);
    expect(query.statuses).toEqual([ScheduleStatus.RUNNING]);
  });

  it('keeps i64 values exact up to 2^53-1 and refuses to round larger ones', async () => {
    await client().slaDrainHosts({ hostNames: ['h'] }, { percentageSlaPolicy: { percentage: 50, durationSecs: Number.MAX_SAFE_INTEGER } }, 2 ** 40 + 1);
    const sent = received.get('slaDrainHosts')!;
    expect(sent.timeoutSecs).toBe(2 ** 40 + 1);
    expect((sent.defaultSlaPolicy as { percentageSlaPolicy: { durationSecs: number } }).percentageSlaPolicy.durationSecs).toBe(Number.MAX_SAFE_INTEGER);
    await expect(client().slaDrainHosts({ hostNames: ['h'] }, { countSlaPolicy: { count: 1, durationSecs: 1 } }, 2 ** 53 + 2)).rejects.toBeInstanceOf(AuroraRangeError);
  });

  it('rejects a union with two fields before sending anything', async () => {
    received.delete('setQuota');
    await expect(client().setQuota('www-data', { resources: [badInput({ numCpus: 1, ramMb: 5 })] })).rejects.toBeInstanceOf(AuroraValidationError);
    expect(received.has('setQuota')).toBe(false);
  });

  it('maps every ResponseCode to the right outcome', async () => {
    const c = client();
    try {
      for (const code of [ResponseCode.OK, ResponseCode.WARNING]) {
        answer = (m) => okWith(m, code, ['careful']);
        const jobs = await c.getJobs('www-data');
        expect(jobs.$response.codeName).toBe(ResponseCode[code]);
        expect(jobs.$response.details).toEqual(['careful']);
        expect(jobs.configs).toBeDefined();
      }
      for (const code of [
        ResponseCode.INVALID_REQUEST,
        ResponseCode.ERROR,
        ResponseCode.AUTH_FAILED,
        ResponseCode.JOB_UPDATING_ERROR,
        ResponseCode.ERROR_TRANSIENT,
      ]) {
        answer = (m) => okWith(m, code, [`because ${code}`]);
        const error = await c.getJobs('www-data').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(AuroraResponseError);
        const e = error as AuroraResponseError;
        expect(e.code).toBe(code);
        expect(e.codeName).toBe(ResponseCode[code]);
        expect(e.details).toEqual([`because ${code}`]);
        expect(e.method).toBe('getJobs');
        expect(e.message).toBe(`getJobs: ${ResponseCode[code]}: because ${code}`);
        expect(e.retryable).toBe(code === ResponseCode.ERROR_TRANSIENT);
      }
    } finally {
      answer = (m) => okWith(m);
    }
  });
});

describe('HTTP failures reach the caller as typed errors', () => {
  async function withServer(handler: RequestListener, run: (url: string) => Promise<void>): Promise<void> {
    const { createServer } = await import('node:http');
    const s = createServer(handler);
    const u = await listen(s);
    try {
      await run(u);
    } finally {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  }

  it('401 is an auth error, 503 and 500 are HTTP errors, 415 names the status', async () => {
    for (const [status, type] of [
      [401, AuroraAuthError],
      [503, Error],
      [500, Error],
      [415, Error],
    ] as const) {
      await withServer(
        (_req, res) => {
          res.writeHead(status, status === 401 ? { 'WWW-Authenticate': 'Basic realm="aurora"' } : {});
          res.end('no');
        },
        async (u) => {
          const error = await new AuroraClient({ url: u }).getRoleSummary().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(type);
          expect((error as { status?: number }).status).toBe(status);
        },
      );
    }
  });

  it('follows a 307 to the leader on another port, re-posting the same call', async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(307, { Location: `${url}/api` });
        res.end();
      },
      async (u) => {
        const summary = await new AuroraClient({ url: u, protocol: 'binary' }).getRoleSummary();
        expect(summary.summaries).toBeDefined();
      },
    );
  });

  it('a server that never answers times out; a refused connection fails at once; a truncated body is an error', async () => {
    await withServer(
      () => {
        /* never answers */
      },
      async (u) => {
        await expect(new AuroraClient({ url: u, timeoutMs: 300 }).getRoleSummary()).rejects.toBeInstanceOf(AuroraTimeoutError);
      },
    );
    let closedUrl = '';
    await withServer(() => undefined, async (u) => {
      closedUrl = u;
    });
    await expect(new AuroraClient({ url: closedUrl }).getRoleSummary()).rejects.toBeInstanceOf(AuroraTransportError);
    await withServer(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/vnd.apache.thrift.binary', 'Content-Length': 100 });
        res.write(Buffer.from([0x80, 0x01, 0x00, 0x02]));
        setTimeout(() => res.destroy(), 20);
      },
      async (u) => {
        const error = await new AuroraClient({ url: u }).getRoleSummary().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as { kind?: string }).kind).toMatch(/transport|protocol/);
      },
    );
  });

  it('the server answers 415 for an unknown Content-Type and never 500 for a failing RPC', async () => {
    const res = await fetch(`${url}/api`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(415);
  });
});

describe('argument checks', () => {
  it('refuses extra arguments and an unknown protocol before sending', async () => {
    expect(() => new AuroraClient({ url, protocol: 'xml' as 'json' })).toThrow(AuroraValidationError);
    const c = new AuroraClient({ url });
    const call = (c as unknown as { getRoleSummary: (...a: unknown[]) => Promise<unknown> }).getRoleSummary('extra', 'args');
    await expect(call).rejects.toBeInstanceOf(AuroraValidationError);
  });

  it('samples cover every struct (the generator of test values is complete)', () => {
    for (const name of Object.keys(SCHEMA.structs)) expect(sampleStruct(name)).toBeTypeOf('object');
  });
});
