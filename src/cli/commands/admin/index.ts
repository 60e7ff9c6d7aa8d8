/** `aurora-ts admin ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { CLUSTER_ARG, spec, verb, type NounSpec } from '../../spec.js';

export const SNAPSHOT = spec({ name: 'snapshot', summary: 'write a storage snapshot', args: [CLUSTER_ARG], examples: ['aurora-ts admin snapshot local'] });
export const BACKUP = spec({ name: 'backup', summary: 'write a backup now', args: [CLUSTER_ARG], examples: ['aurora-ts admin backup local'] });
export const LIST_BACKUPS = spec({ name: 'list-backups', summary: 'list backups', args: [CLUSTER_ARG], examples: ['aurora-ts admin list-backups local'] });

export const RECONCILE = spec({
  name: 'reconcile',
  summary: 'trigger task reconciliation (implicit unless --explicit)',
  args: [CLUSTER_ARG],
  options: [
    { flags: '--explicit', description: 'explicit reconciliation' },
    { flags: '--batch-size <n>', description: 'tasks per explicit batch', parse: 'positiveInteger' },
  ],
  examples: ['aurora-ts admin reconcile local --explicit --batch-size 100'],
});

export const PRUNE = spec({
  name: 'prune',
  summary: 'prune terminated tasks',
  args: [{ name: 'target', description: 'CLUSTER or CLUSTER/ROLE' }],
  options: [{ flags: '--limit <n>', description: 'at most this many tasks', parse: 'positiveInteger' }],
  examples: ['aurora-ts admin prune local/www-data'],
});

export const FORCE_STATE = spec({
  name: 'force-state',
  summary: "force a task's state (dangerous)",
  args: [CLUSTER_ARG, { name: 'task-id', description: 'task id' }, { name: 'state', description: 'task state, e.g. FAILED' }],
  examples: ['aurora-ts admin force-state local www-data-devel-hello-0-8c1d4c8e-5b8f-4a4e-9c1e-2f6a1b7d9e3a FAILED'],
});

export const ADMIN: NounSpec = {
  name: 'admin',
  summary: 'scheduler administration (AuroraAdmin RPCs)',
  verbs: [
    verb(SNAPSHOT, () => import('./snapshot.js')),
    verb(BACKUP, () => import('./backup.js')),
    verb(LIST_BACKUPS, () => import('./list-backups.js')),
    verb(RECONCILE, () => import('./reconcile.js')),
    verb(PRUNE, () => import('./prune.js')),
    verb(FORCE_STATE, () => import('./force-state.js')),
  ],
};
