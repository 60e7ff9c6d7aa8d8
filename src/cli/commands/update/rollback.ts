/** `aurora-ts update rollback KEY`: rollbackJobUpdate of the job's active update (or the one --id names). */
import { control } from './shared.js';

export const run = control('rollbackJobUpdate', 'Rolling back');
