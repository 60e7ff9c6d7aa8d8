/**
 * The update engine's pure parts: the order instances are taken in, how many each strategy starts,
 * and how update queries filter and page.
 */
import { describe, expect, it } from 'vitest';
import { JobUpdateStatus } from '../../src/gen/types.js';
import { batchStrategy, queueStrategy, updateOrder, variableBatchStrategy } from '../../src/scheduler/updates/strategy.js';
import { JobUpdateStore } from '../../src/scheduler/updates/store.js';
import { withStrategy } from '../../src/scheduler/updates/request.js';

/** Drives a strategy to the end, finishing each started group before asking again. */
function batches(strategy: ReturnType<typeof queueStrategy>, ids: number[]): number[][] {
  const idle = new Set(ids);
  const out: number[][] = [];
  while (idle.size > 0) {
    const group = [...strategy.nextGroup(idle, new Set())];
    out.push(group);
    for (const id of group) idle.delete(id);
  }
  return out;
}

describe('update strategies', () => {
  const current = new Set([0, 1, 2, 3]);
  const desired = new Set([0, 1, 4, 5]);

  it('adds, then updates, then removes; a rollback goes the other way round', () => {
    const forward = [0, 1, 2, 3, 4, 5].sort(updateOrder(current, desired, true));
    expect(forward).toEqual([4, 5, 0, 1, 2, 3]);
    const back = [0, 1, 2, 3, 4, 5].sort(updateOrder(current, desired, false));
    expect(back).toEqual([3, 2, 1, 0, 5, 4]);
  });

  it('queue keeps the group full; batch waits for the batch to finish', () => {
    const order = updateOrder(new Set([0, 1, 2]), new Set([0, 1, 2]), true);
    expect([...queueStrategy(order, 2).nextGroup(new Set([0, 1, 2]), new Set([5]))]).toEqual([0]);
    expect([...batchStrategy(order, 2).nextGroup(new Set([0, 1, 2]), new Set([5]))]).toEqual([]);
    expect(batches(batchStrategy(order, 2), [0, 1, 2])).toEqual([[0, 1], [2]]);
  });

  it('variable batches use the sizes in turn, repeat the last, and roll back the partial batch first', () => {
    const ids = [0, 1, 2, 3, 4, 5, 6, 7];
    const all = new Set(ids);
    expect(batches(variableBatchStrategy(updateOrder(all, all, true), [1, 2, 3], true), ids)).toEqual([[0], [1, 2], [3, 4, 5], [6, 7]]);
    // Four instances were touched going forward with sizes [2, 3]: batches of 2 and 2 undo them.
    const touched = new Set([0, 1, 2, 3]);
    expect(batches(variableBatchStrategy(updateOrder(touched, touched, false), [2, 3], false), [0, 1, 2, 3])).toEqual([
      [3, 2],
      [1, 0],
    ]);
  });

  it('back-fills a strategy for clients that only send updateGroupSize', () => {
    expect(withStrategy({ updateGroupSize: 3 }).updateStrategy).toEqual({ queueStrategy: { groupSize: 3 } });
    expect(withStrategy({ updateGroupSize: 2, waitForBatchCompletion: true }).updateStrategy).toEqual({ batchStrategy: { groupSize: 2 } });
  });
});

describe('update store queries', () => {
  it('filters by role, job, user and status, newest change first, with offset and limit', () => {
    const store = new JobUpdateStore();
    const make = (name: string, id: string, user: string, status: JobUpdateStatus, at: number) => {
      const details = store.save({ summary: { key: { job: { role: 'r', environment: 'prod', name }, id }, user }, instructions: { initialState: [], settings: {} } });
      store.addEvent(details, { status, timestampMs: at });
    };
    make('a', '1', 'alice', JobUpdateStatus.ROLLED_FORWARD, 10);
    make('a', '2', 'bob', JobUpdateStatus.ROLLING_FORWARD, 30);
    make('b', '3', 'alice', JobUpdateStatus.ABORTED, 20);
    const ids = (q: Parameters<JobUpdateStore['query']>[0]) => store.query(q).map((d) => d.update!.summary!.key!.id);
    expect(ids({})).toEqual(['2', '3', '1']);
    expect(ids({ user: 'alice' })).toEqual(['3', '1']);
    expect(ids({ jobKey: { role: 'r', environment: 'prod', name: 'a' } })).toEqual(['2', '1']);
    expect(ids({ updateStatuses: [JobUpdateStatus.ABORTED, JobUpdateStatus.ROLLED_FORWARD] })).toEqual(['3', '1']);
    expect(ids({ offset: 1, limit: 1 })).toEqual(['3']);
    expect(ids({ role: 'other' })).toEqual([]);
    expect(store.active({ role: 'r', environment: 'prod', name: 'a' }).map((d) => d.update!.summary!.key!.id)).toEqual(['2']);
  });
});
