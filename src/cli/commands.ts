/**
 * Every noun of `aurora-ts`, in the order `--help` lists them. A noun's verbs are specified in
 * src/cli/commands/<noun>/index.ts (arguments, flags, help text, examples: no verb code) and each
 * runs in src/cli/commands/<noun>/<verb>.ts, imported only when it runs. Adding a command is one
 * spec in its noun's index.ts, `verb(SPEC, () => import('./<verb>.js'))` in the noun's list, and the
 * module exporting `run(ctx, input: VerbInput<typeof SPEC>)` (src/cli/spec.ts), which it takes with
 * `import type` so that the spec file stays free of verb code.
 */
import { ADMIN } from './commands/admin/index.js';
import { CLUSTERS } from './commands/clusters/index.js';
import { CRON } from './commands/cron/index.js';
import { EXECUTORS } from './commands/executors/index.js';
import { JOB } from './commands/job/index.js';
import { MAINTENANCE } from './commands/maintenance/index.js';
import { QUOTA } from './commands/quota/index.js';
import { SCHEDULER } from './commands/scheduler/index.js';
import { SLA } from './commands/sla/index.js';
import { TASK } from './commands/task/index.js';
import { UPDATE } from './commands/update/index.js';
import type { NounSpec } from './spec.js';

export type { ArgSpec, NounSpec, OptionSpec, VerbInput, VerbModule, VerbSpec } from './spec.js';

export const COMMANDS: readonly NounSpec[] = [JOB, TASK, UPDATE, CRON, QUOTA, SLA, MAINTENANCE, ADMIN, SCHEDULER, EXECUTORS, CLUSTERS];
