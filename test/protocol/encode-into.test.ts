/**
 * encodeReply into a caller's buffer (the local scheduler reuses a few warm ones): the same bytes as
 * without one, in both protocols; a view of that buffer when the message fits, else of a larger one
 * the caller then owns whole; and the next message encoded into it does not touch a reply in hand.
 */
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/gen/schema.js';
import type { Response, ScheduledTask } from '../../src/gen/types.js';
import { encodeReply, type WireProtocol } from '../../src/protocol/index.js';
import { Sampler } from './samples.js';

const reply = (n: number): Response => {
  const sampler = new Sampler(SCHEMA);
  return { responseCode: 1, details: [], result: { scheduleStatusResult: { tasks: Array.from({ length: n }, () => sampler.structOf<ScheduledTask>('ScheduledTask')) } } };
};

describe('encodeReply into a buffer', () => {
  for (const protocol of ['binary', 'json'] as WireProtocol[]) {
    it(`gives the same ${protocol} bytes, in the buffer when they fit and in a larger one the caller owns when not`, () => {
      const small = reply(1);
      const expected = encodeReply(protocol, 'getTasksStatus', 3, small);
      // Room to spare: a writer makes sure of room for a string's longest encoding before writing it.
      const into = Buffer.allocUnsafeSlow(4 * expected.length);
      const got = encodeReply(protocol, 'getTasksStatus', 3, small, into);
      expect(got.equals(expected)).toBe(true);
      expect(got.buffer).toBe(into.buffer);
      expect(got.byteOffset).toBe(0);

      const large = reply(100);
      const expectedLarge = encodeReply(protocol, 'getTasksStatus', 4, large);
      expect(expectedLarge.length).toBeGreaterThan(into.length);
      const grown = encodeReply(protocol, 'getTasksStatus', 4, large, into);
      expect(grown.equals(expectedLarge)).toBe(true);
      expect(grown.buffer).not.toBe(into.buffer);
      expect(grown.byteOffset).toBe(0);
      expect(Buffer.from(grown.buffer).length).toBeGreaterThanOrEqual(grown.length);
      // The grown reply is its own: encoding into the first buffer again leaves it as it was.
      encodeReply(protocol, 'getTasksStatus', 5, small, into);
      expect(grown.equals(expectedLarge)).toBe(true);
    });
  }
});
