/** What the `aurora-ts admin ...` verbs share: the AuroraAdmin RPCs a scheduler operator uses, as thin calls. */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { parseClusterRole } from '../../jobkey.js';

export function clusterOnly(text: string): string {
  const parsed = parseClusterRole(text);
  if (parsed.role !== undefined) throw new UsageError(`${JSON.stringify(text)}: expected a cluster name`);
  return parsed.cluster;
}

export async function done(ctx: CliContext, what: string, data: Record<string, unknown> = {}): Promise<number> {
  if (ctx.io.json) ctx.io.data({ ok: true, ...data });
  else ctx.io.out(what);
  return ExitCode.OK;
}
