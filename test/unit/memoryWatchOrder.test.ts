/**
 * The memory store's watch delivers in commit order, as a Kubernetes watch stream does, whatever
 * latency each delivery draws: the fault simulation's removal check relies on it.
 */
import { describe, expect, it } from 'vitest';
import type { LeaseWatchEvent } from '../../src/ports/leaseLock.js';
import { leaseWorld } from '../support/leaseWorld.js';

describe('memory store watch', () => {
  it('delivers changes in commit order when a later one draws a shorter latency', async () => {
    const world = leaseWorld();
    world.put({ holderIdentity: '' });
    const latencies = [0, 40, 2, 30, 0];
    world.store.setLatency(() => latencies.shift() ?? 0);
    const seen: string[] = [];
    const subscription = world.lock('watcher').watch().subscribe((event: LeaseWatchEvent) => {
      if (event.type === 'observed') seen.push(event.lease!.record.holderIdentity);
    });
    await world.clock.advance(0);
    for (const holder of ['a', 'b', 'c', 'd']) world.put({ holderIdentity: holder });
    await world.clock.advance(100);
    subscription.unsubscribe();
    expect(seen).toEqual(['', 'a', 'b', 'c', 'd']);
  });
});
