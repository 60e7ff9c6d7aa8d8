/**
 * The agents file (`scheduler start --agents FILE`, `startScheduler({ agents })`): a JSON array of
 * agents, each `{host, attributes, resources: {cpus, ramMb, diskMb, ports}}`. A bad entry is reported
 * as one line naming the field and what it allows, e.g. `[1].resources.cpus: expected a number > 0, got -1`.
 */
import { CONFIG_FILE_MAX_BYTES, readUserFile } from '../../util/user-file.js';
import { parseJsonWithPosition } from '../../util/json-syntax.js';
import { z } from 'zod';
import { AuroraValidationError } from '../../errors.js';
import { zodIssuesToFileIssues } from '../../job/file-errors.js';
import { HOST_NAME_PATTERN, parsePortRanges, type AgentSpec } from './pool.js';

const ATTRIBUTE_NAME = /^[\w.-]+$/;

const agentSchema = z.strictObject({
  host: z.string({ error: 'expected a host name' }).max(253, 'expected a host name of at most 253 characters').regex(HOST_NAME_PATTERN, 'expected a host name (letters, digits, "-" and ".")'),
  attributes: z
    .record(
      z.string().regex(ATTRIBUTE_NAME, 'expected attribute names of letters, digits, "_", "-" and "."'),
      z.string({ error: 'expected a text value' }).min(1, 'expected a non-empty text value').regex(/^[^,\s]+$/, 'expected a text value without spaces or commas'),
    )
    .optional(),
  resources: z.strictObject({
    cpus: z.number({ error: 'expected a number > 0' }).positive('expected a number > 0'),
    ramMb: z.number({ error: 'expected a whole number of MiB > 0' }).int('expected a whole number of MiB > 0').positive('expected a whole number of MiB > 0'),
    diskMb: z.number({ error: 'expected a whole number of MiB > 0' }).int('expected a whole number of MiB > 0').positive('expected a whole number of MiB > 0').optional(),
    ports: z
      .string({ error: 'expected port ranges like "11000-11999"' })
      .refine((text) => parsePortRanges(text) !== undefined, 'expected port ranges like "11000-11999" or "11000-11099,12000" (1-65535, not overlapping)')
      .optional(),
  }, { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown field; allowed: cpus, ramMb, diskMb, ports' : 'expected an object {cpus, ramMb, diskMb, ports}') }),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown field; allowed: host, attributes, resources' : 'expected an agent object {host, attributes, resources}') });

const agentsSchema = z
  .array(agentSchema, { error: 'expected a JSON array of agents' })
  .min(1, 'expected at least one agent')
  .superRefine((agents, ctx) => {
    const seen = new Set<string>();
    agents.forEach((agent, i) => {
      if (seen.has(agent.host)) ctx.addIssue({ code: 'custom', path: [i, 'host'], message: `expected a unique host name; ${JSON.stringify(agent.host)} is taken`, input: agent.host });
      seen.add(agent.host);
    });
  });

/** The agents, checked; throws AuroraValidationError naming the first bad field. */
export function validateAgents(value: unknown): AgentSpec[] {
  const result = agentsSchema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = zodIssuesToFileIssues(result.error.issues)[0]!;
  throw new AuroraValidationError(`agents${issue.field.startsWith('[') || issue.field === '' ? '' : '.'}${issue.field}`, issue.message);
}

/** Reads and checks an agents file (size-capped, devices refused, duplicate keys refused, as every user-named file). */
export async function loadAgentsFile(path: string): Promise<AgentSpec[]> {
  const text = await readUserFile(path, { what: 'agents file', maxBytes: CONFIG_FILE_MAX_BYTES });
  let data: unknown;
  try {
    data = parseJsonWithPosition(text, { rejectDuplicateKeys: true });
  } catch (error) {
    throw new AuroraValidationError('agents', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  return validateAgents(data);
}
