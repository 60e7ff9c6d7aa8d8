/** The JSON Schema of the job file, generated from the same zod schema the loader uses. */

import { jobFileZod } from './file-schema.js';

/** Draft 2020-12 JSON Schema for `job.json` (editors use it through `"$schema"`). */
export function jobFileJsonSchema(): Record<string, unknown> {
  const { z, jobFileSchema } = jobFileZod();
  const schema = z.toJSONSchema(jobFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema['$schema'],
    title: 'aurora-ts job file',
    description:
      'An Apache Aurora job for `aurora-ts job create`: a custom executor ("executor") or Thermos processes ("processes"), resources, placement, cron and update settings.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}
