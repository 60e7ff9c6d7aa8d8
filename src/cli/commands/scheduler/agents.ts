/**
 * `aurora-ts scheduler agents [CLUSTER]`: the local scheduler's agents -- host, maintenance mode,
 * reachability, resources used and total, ports, tasks and attributes -- read from its local-only
 * `GET /agents`
 * (Aurora's API has no call that lists agents; Mesos would).
 */
import type { AgentReport } from '../../../scheduler/agents/http.js';
import type { CliContext } from '../../context.js';
import { CliFailure } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { AGENTS } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof AGENTS>): Promise<number> {
  const client = await ctx.client(options.cluster ?? 'local');
  const base = ctx.baseUrl(client);
  const timeoutMs = (ctx.globals.timeout ?? 30) * 1000;
  let response: Response;
  try {
    response = await fetch(`${base}/agents`, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) });
  } catch (err) {
    const name = (err as Error).name;
    throw new CliFailure(`cannot reach the scheduler at ${base}: ${name === 'TimeoutError' ? 'timed out' : (err as Error).message}`, ExitCode.UNREACHABLE);
  }
  if (response.status === 404) throw new CliFailure(`the scheduler at ${base} lists no agents; scheduler agents works with the aurora-ts local scheduler`);
  if (!response.ok) throw new CliFailure(`cannot list the agents of ${base}: HTTP ${response.status}`);
  const { agents } = (await response.json()) as { agents: AgentReport[] };
  if (ctx.io.json) {
    ctx.io.data({ agents });
    return ExitCode.OK;
  }
  const amount = (used: number, total: number | null) => `${used}/${total ?? '-'}`;
  ctx.io.table(agents, [
    { header: 'HOST', value: (a) => a.host },
    { header: 'MODE', value: (a) => a.mode },
    { header: 'REACHABLE', value: (a) => (a.reachable ? 'yes' : 'no') },
    { header: 'CPUS', value: (a) => amount(a.resources.used.cpus, a.resources.total.cpus) },
    { header: 'RAM MIB', value: (a) => amount(a.resources.used.ramMb, a.resources.total.ramMb) },
    { header: 'DISK MIB', value: (a) => amount(a.resources.used.diskMb ?? 0, a.resources.total.diskMb) },
    { header: 'PORTS', value: (a) => a.ports ?? 'any' },
    { header: 'TASKS', value: (a) => String(a.tasks) },
    { header: 'ATTRIBUTES', value: (a) => Object.entries(a.attributes).map(([k, v]) => `${k}=${v}`).join(' ') },
  ]);
  return ExitCode.OK;
}
