/**
 * Which idle instances an update starts next (Aurora's QueueStrategy, BatchStrategy and
 * VariableBatchStrategy), and the order it takes them in: instances to add, then to update, then to
 * remove, each by id (reversed for a rollback).
 */
import type { JobUpdateStrategy } from '../../gen/types.js';

export type InstanceOrder = (a: number, b: number) => number;

export interface UpdateStrategy {
  /** A subset of `idle` to start now, given the instances still in flight. */
  nextGroup(idle: ReadonlySet<number>, active: ReadonlySet<number>): Set<number>;
}

/** Add first, then update, then remove; numeric within each; fully reversed for a rollback. */
export function updateOrder(current: ReadonlySet<number>, desired: ReadonlySet<number>, rollingForward: boolean): InstanceOrder {
  const priority = (id: number): number => (!current.has(id) ? 1 : desired.has(id) ? 2 : 3);
  const forward: InstanceOrder = (a, b) => priority(a) - priority(b) || a - b;
  return rollingForward ? forward : (a, b) => forward(b, a);
}

function firstN(ids: Iterable<number>, order: InstanceOrder, n: number): Set<number> {
  return new Set([...ids].sort(order).slice(0, Math.max(0, n)));
}

/** Keeps up to `groupSize` instances in flight at all times. */
export function queueStrategy(order: InstanceOrder, groupSize: number): UpdateStrategy {
  return { nextGroup: (idle, active) => firstN(idle, order, groupSize - active.size) };
}

/** Starts `groupSize` instances once the previous batch is done. */
export function batchStrategy(order: InstanceOrder, groupSize: number): UpdateStrategy {
  return { nextGroup: (idle, active) => (active.size > 0 ? new Set() : firstN(idle, order, groupSize - active.size)) };
}

/**
 * Batches of the given sizes in turn, the last size repeating. A rollback undoes the batches in
 * reverse, so its first batch is the partial one the forward update was in when it failed.
 */
export function variableBatchStrategy(order: InstanceOrder, groupSizes: readonly number[], rollingForward: boolean): UpdateStrategy {
  let total: number | undefined;
  const finalSize = groupSizes[groupSizes.length - 1]!;
  function currentSize(remaining: number): number {
    const modified = total! - remaining;
    if (rollingForward) {
      let sum = 0;
      for (const size of groupSizes) {
        sum += size;
        if (sum > modified) return size;
      }
      return finalSize;
    }
    let left = remaining;
    for (const size of groupSizes) {
      if (left <= size) return left;
      left -= size;
    }
    const partial = left % finalSize;
    return partial === 0 ? finalSize : partial;
  }
  return {
    nextGroup(idle, active) {
      // The first call sees every instance the update will touch.
      total ??= idle.size;
      if (active.size > 0) return new Set();
      return firstN(idle, order, currentSize(idle.size) - active.size);
    },
  };
}

export function strategyFor(strategy: JobUpdateStrategy | undefined, order: InstanceOrder, rollingForward: boolean): UpdateStrategy {
  if (strategy?.batchStrategy) return batchStrategy(order, strategy.batchStrategy.groupSize ?? 0);
  if (strategy?.varBatchStrategy) return variableBatchStrategy(order, [...(strategy.varBatchStrategy.groupSizes ?? [])], rollingForward);
  return queueStrategy(order, strategy?.queueStrategy?.groupSize ?? 0);
}

export function autopauseEnabled(strategy: JobUpdateStrategy | undefined): boolean {
  return Boolean(strategy?.batchStrategy?.autopauseAfterBatch || strategy?.varBatchStrategy?.autopauseAfterBatch);
}
