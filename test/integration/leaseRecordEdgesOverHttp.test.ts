/**
 * The edges of the lease record over real HTTP (issue 13): KubernetesLeaseLocks on
 * @kubernetes/client-node against the embedded server, time on a VirtualClock that waits for the
 * wire to go quiet. Records no conforming API server stores (a leaseTransitions of "7") are shown to
 * the participants by a rewriting proxy, as a non-conforming store or aggregated API would serve them.
 */
import { describe, expect, it } from 'vitest';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { INT32_MAX } from '../../src/lease/record.js';
import { lockRecordToLeaseSpec } from '../../src/lease/spec.js';
import { type HttpWorld, httpWorldPerTest } from '../support/httpWorldPerTest.js';
import { track } from '../support/leaseWorld.js';
import { startRewritingProxy } from '../support/rewritingProxy.js';

describe('lease record edges over HTTP against the embedded server', () => {
  const { open, stopping } = httpWorldPerTest();
  const primary = (w: HttpWorld, identity: string) => stopping(new PrimaryLease({ lock: w.lock(identity), clock: w.clock }));

  it('a held lease without leaseDurationSeconds is not taken while its holder renews, and is taken own-leaseDuration after it stops', async () => {
    const w = await open();
    const renewWithoutDuration = async () => {
      const { leaseDurationSeconds: _, ...spec } = lockRecordToLeaseSpec({
        holderIdentity: 'peer',
        leaseDurationSeconds: 0,
        acquireTime: w.clock.now(),
        renewTime: w.clock.now(),
        leaseTransitions: 1,
      });
      await w.putSpec(spec);
    };
    await renewWithoutDuration();
    const acquired = track(primary(w, 'pod-1').acquire());
    for (let i = 0; i < 15; i++) {
      await w.clock.advance(2_000);
      await renewWithoutDuration();
    }
    expect(acquired.settled).toBe(false);
    expect(w.requestCount('pod-1', 'update')).toBe(0);
    await w.clock.advance(14_999);
    expect(acquired.settled).toBe(false);
    await w.clock.advance(1);
    expect(acquired.settled && !acquired.error).toBe(true);
    expect(await w.record()).toMatchObject({ holderIdentity: 'pod-1', leaseDurationSeconds: 15, leaseTransitions: 2 });
  });

  it('leaseTransitions at 2147483647: takeovers write 2147483647 and the server accepts every one', async () => {
    const w = await open();
    await w.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: INT32_MAX - 1 });
    for (const identity of ['pod-1', 'pod-2', 'pod-3']) {
      const next = primary(w, identity);
      const acquired = track(next.acquire());
      await w.clock.advanceUntil(() => acquired.settled, 60_000);
      expect(acquired.error).toBeUndefined();
      expect(next.term).toBe(INT32_MAX);
      expect(await w.record()).toMatchObject({ holderIdentity: identity, leaseTransitions: INT32_MAX });
      const released = track(next.release());
      await w.clock.advanceUntil(() => released.settled, 10_000);
      expect(released.error).toBeUndefined();
    }
  });

  it.each([
    ['"7"', 8],
    ['7.5', 9],
  ])('a store serving leaseTransitions %s: the next holder writes %i, never a lower term', async (shown, written) => {
    const w = await open({
      locksThrough: (url) => startRewritingProxy(url, (json) => json.replace(/"leaseTransitions":7([,}])/g, `"leaseTransitions":${shown}$1`)),
    });
    await w.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 7 });
    const candidate = primary(w, 'pod-1');
    const acquired = track(candidate.acquire());
    await w.clock.advanceUntil(() => acquired.settled, 10_000);
    expect(acquired.error).toBeUndefined();
    expect((await w.record()).leaseTransitions).toBe(written);
    expect(candidate.term).toBe(written);
    expect(candidate.actor.getSnapshot().context.counters.malformedReads).toBeGreaterThan(0);
  });
});
