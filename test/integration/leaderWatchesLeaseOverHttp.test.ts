/**
 * A leader keeps watching its lease, over real HTTP (issue 13): KubernetesLeaseLock on
 * @kubernetes/client-node against the embedded server; a third-party write through the API ends the
 * leader's window at the watch delivery, before any (virtual) time passes and so before its next renew.
 */
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import type { LeadershipError } from '../../src/lease/errors.js';
import { httpWorldPerTest } from '../support/httpWorldPerTest.js';
import { track } from '../support/leaseWorld.js';

describe('a leader watching its lease, over HTTP against the embedded server', () => {
  const { open, stopping } = httpWorldPerTest();

  it('PrimaryLease: a forced release (holder "") aborts heldSignal at the delivery and fires onFatal', async () => {
    const w = await open();
    await w.put({ holderIdentity: '', leaseTransitions: 2 });
    const primary = stopping(new PrimaryLease({ lock: w.lock('pod-1'), clock: w.clock }));
    const fatal: LeadershipError[] = [];
    primary.onFatal((error) => fatal.push(error));
    const acquired = track(primary.acquire());
    await w.clock.advance(2_500);
    expect(acquired.settled && primary.isLeader()).toBe(true);
    const signal = primary.leadershipSignal!;
    const updates = w.requestCount('pod-1', 'update');
    const before = w.clock.now();

    await w.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 3 });
    expect(w.clock.now()).toBe(before);
    expect(signal.aborted).toBe(true);
    expect(fatal).toHaveLength(1);
    expect(primary.actor.getSnapshot().value).toBe('stopped');
    expect(w.requestCount('pod-1', 'update')).toBe(updates);
  });

  it('LeaderElector: a takeover by another client ends leadership at the delivery; run() returns', async () => {
    const w = await open();
    let signal: AbortSignal | undefined;
    const elector = new LeaderElector({
      lock: w.lock('a'),
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      callbacks: { onStartedLeading: (s) => void (signal = s), onStoppedLeading: () => {} },
      clock: w.clock,
    });
    stopping(elector);
    const ran = track(elector.run());
    await w.clock.advance(3_000);
    expect(elector.isLeader()).toBe(true);
    const before = w.clock.now();

    await w.put({ holderIdentity: 'intruder', leaseTransitions: 7 });
    expect(w.clock.now()).toBe(before);
    expect(signal!.aborted).toBe(true);
    expect(elector.isLeader()).toBe(false);
    expect(ran.settled).toBe(true);
    expect((await w.record()).holderIdentity).toBe('intruder');
  });
});
