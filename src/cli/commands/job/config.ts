/**
 * Aurora's `--config FILE` on `job kill`, `killall`, `restart` and `add`. Aurora's client loads the file
 * there only to run the API hooks it may define (HookedAuroraClientAPI drops the config before the call);
 * the file must hold the key's job. aurora-ts job files define no hooks, so the useful part left is that
 * check: the file must hold this job (as the `KEY FILE` forms check it), and then the verb runs as without
 * it. A `.aurora` file is refused with the aurora-ts form, since none is needed.
 */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { loadJob } from '../../jobfile.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';

export async function checkJobConfig(ctx: CliContext, verb: string, keyText: string, file: string): Promise<void> {
  const key = parseJobKey(keyText, 'optional');
  if (file.endsWith('.aurora')) {
    throw new UsageError(`--config ${file}: Aurora .aurora configs are not read, and ${verb} needs none`, `run aurora-ts job ${verb} ${keyText}`);
  }
  await loadJob(ctx, file, undefined, 'inspect', { key: formatJobKey({ ...key, instances: undefined }) });
}
