/**
 * Random valid job files survive the whole trip to the wire and back, in both protocols:
 * file → JobConfiguration → Thrift bytes → decoded → the same JobConfiguration. (That these bytes
 * are what Apache Thrift's runtime reads is test/protocol/equivalence.test.ts's job.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStruct, encodeStruct } from '../../src/protocol/index.js';
import { canonicalJson } from '../../src/scheduler/tasks.js';
import { jobConfigArb } from './arbitraries.js';

describe('job file → JobConfiguration → Thrift bytes → JobConfiguration', () => {
  it.each(['binary', 'json'] as const)('round-trips random valid job files over %s', (protocol) => {
    fc.assert(
      fc.property(jobConfigArb, (config) => {
        const bytes = encodeStruct(protocol, 'JobConfiguration', config);
        const decoded = decodeStruct(protocol, 'JobConfiguration', bytes);
        // Sets have no order on the wire: compare with set members sorted, absent fields dropped.
        expect(canonicalJson('JobConfiguration', decoded)).toBe(canonicalJson('JobConfiguration', config));
      }),
      { numRuns: 200 },
    );
  });
});
