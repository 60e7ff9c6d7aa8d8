/** `aurora-ts update pause KEY`: pauseJobUpdate of the job's active update (or the one --id names). */
import { control } from './shared.js';

export const run = control('pauseJobUpdate', 'Paused');
