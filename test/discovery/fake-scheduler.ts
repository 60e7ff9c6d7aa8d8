/**
 * A small scheduler for transport tests: the real Thrift API server (src/scheduler/api-server.ts)
 * with just enough state for createJob/startJobUpdate, and switches for the faults a production
 * network produces: 503 before reading, a socket cut before or after the call is processed.
 */
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createApiServer, errorResponse, listen } from '../../src/scheduler/api-server.js';
import {
  JobUpdateStatus,
  ResponseCode,
  type JobConfiguration,
  type JobKey,
  type JobUpdateRequest,
  type JobUpdateSummary,
  type Response,
  type TaskConfig,
} from '../../src/gen/types.js';

export interface FakeScheduler {
  url: string;
  /** Every RPC that reached a handler, in order. */
  calls: string[];
  headers: IncomingHttpHeaders[];
  jobs: Map<string, JobConfiguration>;
  updates: JobUpdateSummary[];
  /** Answer HTTP 503 to the next n requests before reading them. */
  fail503(n: number): void;
  /** Cut the connection of the next n requests before they are processed. */
  resetBefore(n: number): void;
  /** Process the next n calls of `method`, then cut the connection instead of replying. */
  dropReplyAfter(method: string, n: number): void;
  /** Updates finish (ROLLED_FORWARD) as soon as they start, like a no-op update. */
  finishUpdatesAtOnce: boolean;
  /** Answer the next n calls with ERROR_TRANSIENT without processing them. */
  transient(n: number): void;
  close(): Promise<void>;
}

const keyOf = (k: JobKey | undefined): string => `${k?.role}/${k?.environment}/${k?.name}`;
const ok = (result?: Response['result']): Response => ({ responseCode: ResponseCode.OK, details: [], result });

export async function startFakeScheduler(): Promise<FakeScheduler> {
  const calls: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const jobs = new Map<string, JobConfiguration>();
  const updates: JobUpdateSummary[] = [];
  const faults = { s503: 0, reset: 0, transient: 0, drop: new Map<string, number>() };
  let updateSeq = 0;
  // Assigned once the server listens; handlers only run after that.
  let fake: FakeScheduler;

  const dropIfAsked = (method: string, request: { socket: { destroy(): void } }): void => {
    const n = faults.drop.get(method) ?? 0;
    if (n > 0) {
      faults.drop.set(method, n - 1);
      request.socket.destroy();
    }
  };

  const server: Server = createApiServer({
    intercept(request, response) {
      headers.push(request.headers);
      if (faults.s503 > 0) {
        faults.s503 -= 1;
        response.writeHead(503, { 'Content-Type': 'text/plain' });
        response.end('No leader found\n');
        return true;
      }
      if (faults.reset > 0) {
        faults.reset -= 1;
        request.socket.destroy();
        return true;
      }
      return false;
    },
    handlers: {
      getJobs(_args, { method }) {
        calls.push(method);
        if (faults.transient > 0) {
          faults.transient -= 1;
          return errorResponse(ResponseCode.ERROR_TRANSIENT, 'Storage is not READY');
        }
        return ok({ getJobsResult: { configs: [...jobs.values()] } });
      },
      createJob(args, { method, request }) {
        calls.push(method);
        if (faults.transient > 0) {
          faults.transient -= 1;
          return errorResponse(ResponseCode.ERROR_TRANSIENT, 'Storage is not READY');
        }
        const job = args.description as JobConfiguration;
        if (jobs.has(keyOf(job.key))) return errorResponse(ResponseCode.INVALID_REQUEST, `Job already exists: ${keyOf(job.key)}`);
        // Stored as Aurora stores it: its wrappers set every number and set a request may leave out.
        const sent: Partial<TaskConfig> = job.taskConfig;
        const taskConfig = { ...job.taskConfig, priority: sent.priority ?? 0, maxTaskFailures: sent.maxTaskFailures ?? 1, resources: sent.resources ?? [], constraints: sent.constraints ?? [] };
        jobs.set(keyOf(job.key), { ...job, taskConfig });
        dropIfAsked(method, request);
        return ok();
      },
      getJobSummary(args, { method }) {
        calls.push(method);
        const stats = { activeTaskCount: 0, finishedTaskCount: 0, failedTaskCount: 0, pendingTaskCount: 0 };
        const summaries = [...jobs.values()].filter((j) => j.key?.role === args.role).map((job) => ({ job, stats }));
        return ok({ jobSummaryResult: { summaries } });
      },
      startJobUpdate(args, { method, request }) {
        calls.push(method);
        const req = args.request as JobUpdateRequest;
        const job = req.taskConfig?.job;
        if (job === undefined) return errorResponse(ResponseCode.INVALID_REQUEST, 'A job update request needs a taskConfig.');
        const active = updates.find((u) => keyOf(u.key?.job) === keyOf(job) && u.state?.status === JobUpdateStatus.ROLLING_FORWARD);
        if (active) {
          return {
            responseCode: ResponseCode.INVALID_REQUEST,
            details: [{ message: 'An active update already exists for this job, please terminate it before starting another.' }],
            result: { startJobUpdateResult: { key: active.key, updateSummary: active } },
          };
        }
        updateSeq += 1;
        const summary: JobUpdateSummary = {
          key: { job, id: `update-${updateSeq}` },
          user: 'tester',
          state: { status: fake.finishUpdatesAtOnce ? JobUpdateStatus.ROLLED_FORWARD : JobUpdateStatus.ROLLING_FORWARD, createdTimestampMs: Date.now(), lastModifiedTimestampMs: Date.now() },
          metadata: [...(req.metadata ?? [])],
        };
        updates.push(summary);
        dropIfAsked(method, request);
        return ok({ startJobUpdateResult: { key: summary.key, updateSummary: summary } });
      },
      getJobUpdateSummaries(args, { method }) {
        calls.push(method);
        const query = args.jobUpdateQuery as { jobKey?: JobKey; updateStatuses?: JobUpdateStatus[] };
        const found = updates.filter(
          (u) =>
            (!query.jobKey || keyOf(u.key?.job) === keyOf(query.jobKey)) &&
            (!query.updateStatuses?.length || query.updateStatuses.includes(u.state!.status!)),
        );
        return ok({ getJobUpdateSummariesResult: { updateSummaries: found } });
      },
    },
  });
  const url = await listen(server);
  fake = {
    url,
    calls,
    headers,
    jobs,
    updates,
    finishUpdatesAtOnce: false,
    fail503: (n) => void (faults.s503 = n),
    resetBefore: (n) => void (faults.reset = n),
    transient: (n) => void (faults.transient = n),
    dropReplyAfter: (method, n) => void faults.drop.set(method, n),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
