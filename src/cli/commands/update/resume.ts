/** `aurora-ts update resume KEY`: resumeJobUpdate of the job's active update (or the one --id names). */
import { control } from './shared.js';

export const run = control('resumeJobUpdate', 'Resumed');
