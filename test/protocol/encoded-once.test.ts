/**
 * EncodedOnce (the local scheduler wraps each task of a reply in one): the bytes of a message holding
 * wrapped structs are exactly those of the same message holding the plain values, in both protocols,
 * whether the wrapper's encoding is made now or kept from before; a wrapper placed where another
 * struct goes is refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/gen/schema.js';
import type { Response, ScheduledTask, TaskConfig } from '../../src/gen/types.js';
import { AuroraValidationError } from '../../src/errors.js';
import { decodeReply, EncodedOnce, encodeReply, encodeStruct, type WireProtocol } from '../../src/protocol/index.js';
import { Sampler } from './samples.js';

const PROTOCOLS: WireProtocol[] = ['binary', 'json'];

function tasks(n: number): ScheduledTask[] {
  const sampler = new Sampler(SCHEMA);
  return Array.from({ length: n }, () => sampler.structOf<ScheduledTask>('ScheduledTask'));
}

const reply = (list: ScheduledTask[]): Response => ({ responseCode: 1, details: [{ message: 'ok' }], result: { scheduleStatusResult: { tasks: list } } });
const wrap = <T>(struct: string, value: T): T => new EncodedOnce(struct, value) as unknown as T;

describe('EncodedOnce', () => {
  for (const protocol of PROTOCOLS) {
    it(`gives the same ${protocol} bytes as the plain values, made now and kept`, () => {
      const plain = tasks(3);
      const expected = encodeReply(protocol, 'getTasksStatus', 7, reply(plain));
      const wrapped = plain.map((t) => new EncodedOnce('ScheduledTask', t));
      const asTasks = wrapped as unknown as ScheduledTask[];
      expect(encodeReply(protocol, 'getTasksStatus', 7, reply(asTasks)).equals(expected)).toBe(true);
      // Each wrapper now holds its task's encoding, the same bytes encodeStruct makes...
      for (const [i, w] of wrapped.entries()) expect(w[protocol]!.equals(encodeStruct(protocol, 'ScheduledTask', plain[i]))).toBe(true);
      // ...and writes those bytes again, even after its value changed (it is for values that do not).
      plain[0]!.failureCount += 1;
      expect(encodeReply(protocol, 'getTasksStatus', 7, reply(plain)).equals(expected)).toBe(false);
      expect(encodeReply(protocol, 'getTasksStatus', 7, reply(asTasks)).equals(expected)).toBe(true);
      expect(decodeReply(protocol, 'getTasksStatus', expected)).toEqual(decodeReply(protocol, 'getTasksStatus', encodeReply(protocol, 'getTasksStatus', 7, reply(asTasks))));
    });

    it(`is refused in ${protocol} where another struct goes`, () => {
      const task = tasks(1)[0]!;
      task.assignedTask!.task = wrap<TaskConfig>('ScheduledTask', task.assignedTask!.task!);
      const error = (() => {
        try {
          encodeReply(protocol, 'getTasksStatus', 1, reply([task]));
        } catch (e) {
          return e;
        }
        throw new Error('expected an error');
      })();
      expect(error).toBeInstanceOf(AuroraValidationError);
      expect((error as Error).message).toMatch(/assignedTask\.task.*expected TaskConfig \(an object\), got an EncodedOnce of ScheduledTask/);
    });
  }
});
