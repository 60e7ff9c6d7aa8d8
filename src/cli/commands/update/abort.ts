/** `aurora-ts update abort KEY`: abortJobUpdate of the job's active update (or the one --id names). */
import { control } from './shared.js';

export const run = control('abortJobUpdate', 'Aborted');
