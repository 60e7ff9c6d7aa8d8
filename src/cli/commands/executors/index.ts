/** `aurora-ts executors ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { spec, verb, type NounSpec } from '../../spec.js';

export const VALIDATE = spec({
  name: 'validate',
  summary: "check a custom executor file the way Aurora's scheduler does at start-up",
  args: [{ name: 'file', description: 'executor settings file (JSON)' }],
  examples: ['aurora-ts executors validate examples/executors.json'],
});

export const LIST = spec({
  name: 'list',
  summary: 'list the executors of a file (default: the running local scheduler\'s)',
  args: [{ name: 'file', description: 'executor settings file (JSON)', optional: true }],
  examples: ['aurora-ts executors list examples/executors.json'],
});

export const NEW = spec({
  name: 'new',
  summary: 'write a project for a custom executor in TypeScript (aurora-ts/executor)',
  args: [{ name: 'name', description: 'names the package, the executor and the job (a-z 0-9 - _ .)' }],
  options: [{ flags: '--dir <dir>', description: 'where to write it: a new or empty directory (default ./NAME)' }],
  examples: ['aurora-ts executors new hello-exec', 'aurora-ts executors new hello-exec --dir ~/src/hello-exec'],
});

export const EXECUTORS: NounSpec = {
  name: 'executors',
  summary: "check and show a scheduler's custom executor file, or start a new executor",
  verbs: [
    verb(VALIDATE, () => import('./validate.js')),
    verb(LIST, () => import('./list.js')),
    verb(NEW, () => import('./new.js')),
  ],
};
