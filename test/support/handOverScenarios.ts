/**
 * Targeted hand-over over real HTTP (issue 15), one table for every server: handOver() in one write;
 * a leader asked from outside through the annotation leasehold.io/hand-over-to, spec.preferredHolder,
 * or both (the annotation wins); the hand-over write clears both; ordinary renews keep every other
 * annotation and field. Kubernetes keeps spec.strategy and spec.preferredHolder only with the
 * CoordinatedLeaderElection gate on: the cases that write them run where `coordinated` says so.
 */
import type { V1Lease } from '@kubernetes/client-node';
import { expect, type it as vitestIt } from 'vitest';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { HAND_OVER_ANNOTATION } from '../../src/lease/handOverRequest.js';
import type { WorldTarget } from './httpWorld.js';
import { type HttpWorld, httpWorldPerTest } from './httpWorldPerTest.js';
import { track } from './leaseWorld.js';

/** pod-1 leads, pod-2 and pod-3 are candidates waiting on their watches. */
async function threePrimaries(w: HttpWorld, stopping: <T extends { stop(): void }>(facade: T) => T) {
  await w.put({ holderIdentity: '', leaseTransitions: 2 });
  const [leader, second, third] = ['pod-1', 'pod-2', 'pod-3'].map((id) => stopping(new PrimaryLease({ lock: w.lock(id), clock: w.clock })));
  const acquired = track(leader!.acquire());
  await w.clock.advance(100);
  expect(acquired.settled && leader!.isLeader()).toBe(true);
  const pending = [second!, third!].map((p) => track(p.acquire()));
  await w.clock.advance(100);
  expect(pending.every((p) => !p.settled)).toBe(true);
  return { leader: leader!, second: second!, third: third! };
}

/** Adds the annotation team=db and, with `to`, a hand-over request for it. */
export const annotate = (to: string | undefined) => (lease: V1Lease) => {
  lease.metadata!.annotations = { ...lease.metadata!.annotations, team: 'db' };
  if (to !== undefined) lease.metadata!.annotations[HAND_OVER_ANNOTATION] = to;
};
/** spec.preferredHolder, which Kubernetes takes only on a lease with a spec.strategy (coordinated leader election). */
const prefer = (to: string) => (lease: V1Lease) => {
  lease.spec = { ...lease.spec, strategy: 'OldestEmulationVersion', preferredHolder: to };
};

/** Declares the hand-over scenarios with `it` against `target`; `coordinated`: the server keeps spec.strategy and spec.preferredHolder. */
export function handOverScenarios(target: WorldTarget, it: typeof vitestIt, { coordinated }: { coordinated: boolean }): void {
  const { open, stopping } = httpWorldPerTest(target);

  it('handOver(to): the target holds the lease in one write and leads after its own renew; other candidates wait', async () => {
    const w = await open();
    const { leader, second, third } = await threePrimaries(w, stopping);
    const signal = leader.leadershipSignal!;
    const before = await w.stored();
    const updates = w.requestCount('pod-1', 'update');
    const handed = track(leader.handOver('pod-3'));
    expect(signal.aborted).toBe(true);
    await w.clock.advance(0);
    expect(w.requestCount('pod-1', 'update')).toBe(updates + 1);
    expect(third.isLeader()).toBe(true);
    expect(second.isLeader()).toBe(false);
    const after = await w.stored();
    expect(after.spec).toMatchObject({ holderIdentity: 'pod-3', leaseTransitions: (before.spec!.leaseTransitions ?? 0) + 1, leaseDurationSeconds: 15 });
    expect(w.requestCount('pod-3', 'update')).toBe(1); // its confirming renew: no claim, no transition of its own
    expect(w.requestCount('pod-2', 'update')).toBe(0);
    // The old leader settles once it sees a write of the target's own. The confirming renew came at the
    // instant of the hand-over write (virtual time stood still) and changed nothing, which
    // kube-apiserver stores as no new version: the target's next renew, a retry period later, is seen.
    await w.clock.advanceUntil(() => handed.settled, 2_000);
    expect(handed.error).toBeUndefined();
    await w.clock.advance(20_000); // nobody else takes it while pod-3 renews
    expect(third.isLeader()).toBe(true);
    expect((await w.record()).holderIdentity).toBe('pod-3');
  });

  it('a request by annotation: the leader hands over; the write clears it and keeps the other annotations', async () => {
    const w = await open();
    const { leader, second } = await threePrimaries(w, stopping);
    const signal = leader.leadershipSignal!;
    await w.edit(annotate('pod-2'));
    await w.clock.advance(0);
    expect(signal.aborted).toBe(true);
    expect(second.isLeader()).toBe(true);
    const stored = await w.stored();
    expect(stored.spec!.holderIdentity).toBe('pod-2');
    expect(stored.metadata!.annotations).toEqual({ team: 'db' });
    await w.clock.advance(20_000);
    expect(second.isLeader()).toBe(true); // no stale request fires later
  });

  if (coordinated) it('a request by spec.preferredHolder: the leader hands over and the write clears it', async () => {
    const w = await open();
    const { leader, third } = await threePrimaries(w, stopping);
    await w.edit(prefer('pod-3'));
    await w.clock.advance(0);
    expect(leader.isLeader()).toBe(false);
    expect(third.isLeader()).toBe(true);
    const stored = await w.stored();
    expect(stored.spec!.holderIdentity).toBe('pod-3');
    expect(stored.spec!.preferredHolder).toBeUndefined();
  });

  if (coordinated) it('both, naming different identities: the annotation wins, and both are cleared', async () => {
    const w = await open();
    const { second, third } = await threePrimaries(w, stopping);
    await w.edit((lease) => {
      prefer('pod-3')(lease);
      annotate('pod-2')(lease);
    });
    await w.clock.advance(0);
    expect(second.isLeader()).toBe(true);
    expect(third.isLeader()).toBe(false);
    const stored = await w.stored();
    expect(stored.spec!.preferredHolder).toBeUndefined();
    expect(stored.metadata!.annotations).toEqual({ team: 'db' });
  });

  if (coordinated) it('a request naming the holder itself is ignored and cleared by its next renew; renews keep other annotations and fields', async () => {
    const w = await open();
    const { leader } = await threePrimaries(w, stopping);
    await w.edit((lease) => {
      annotate('pod-1')(lease);
      lease.spec = { ...lease.spec, strategy: 'OldestEmulationVersion' };
    });
    await w.clock.advance(0);
    expect(leader.isLeader()).toBe(true);
    await w.clock.advance(2_000); // one renew
    expect(leader.isLeader()).toBe(true);
    const stored = await w.stored();
    expect(stored.spec).toMatchObject({ holderIdentity: 'pod-1', strategy: 'OldestEmulationVersion' });
    expect(stored.metadata!.annotations).toEqual({ team: 'db' });
    // A request for someone else on top of unrelated annotations: renews before it kept them too.
    await w.edit(annotate(undefined));
    await w.clock.advance(4_000);
    expect((await w.stored()).metadata!.annotations).toEqual({ team: 'db' });
    expect(leader.isLeader()).toBe(true);
  });
}
