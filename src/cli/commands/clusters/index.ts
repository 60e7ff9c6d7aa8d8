/** `aurora-ts clusters ...`: the verbs' specs, loaded with the program (no verb code: each verb's module is imported when it runs). */
import { spec, verb, type NounSpec } from '../../spec.js';

export const LIST = spec({
  name: 'list',
  summary: 'list the known clusters',
  examples: ['aurora-ts clusters list'],
});

export const CLUSTERS: NounSpec = {
  name: 'clusters',
  summary: 'clusters from clusters.json',
  verbs: [
    verb(LIST, () => import('./list.js')),
  ],
};
