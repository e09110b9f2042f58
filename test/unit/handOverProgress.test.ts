/**
 * How `leasehold handover` reads the versions of a lease that follow its request: one rule per
 * test, each building the versions a watch would deliver.
 */
import { describe, expect, it } from 'vitest';
import { HandOverProgress, type LeaseView } from '../../src/cli/handover/progress.js';

let version = 10;
/** A version of the lease: holder, term, acquire and renew times (ms), the pending request. */
const lease = (holder: string, term: number, acquired: number, renewed: number, request?: string): LeaseView => ({
  record: { holderIdentity: holder, leaseDurationSeconds: 2, acquireTime: acquired, renewTime: renewed, leaseTransitions: term },
  resourceVersion: String(++version),
  request,
});

/** The request as written: pod-1 holds term 3 and is asked for pod-2. */
const progress = () => new HandOverProgress('pod-2', lease('pod-1', 3, 1_000, 5_000, 'pod-2'));

describe('leasehold handover: when the target leads', () => {
  it("a hand-over write naming the target is not yet its leading: the target's renew is", () => {
    const follow = progress();
    expect(follow.next(lease('pod-2', 4, 6_000, 6_000))).toEqual({ kind: 'named' });
    expect(follow.next(lease('pod-2', 4, 6_000, 6_100))).toEqual({ kind: 'leads' });
  });

  it('a second version naming the target with another renewTime is its renew, even when its clock is behind the writer of acquireTime', () => {
    const follow = progress();
    expect(follow.next(lease('pod-2', 4, 6_000, 6_000)).kind).toBe('named');
    expect(follow.next(lease('pod-2', 4, 6_000, 5_900))).toEqual({ kind: 'leads' });
  });

  it('a version naming the target renewed since it acquired leads at once (the watch re-listed past the hand-over write)', () => {
    expect(progress().next(lease('pod-2', 4, 6_000, 6_500))).toEqual({ kind: 'leads' });
  });

  it('the version already seen (a re-list) changes nothing', () => {
    const follow = progress();
    const named = lease('pod-2', 4, 6_000, 6_000);
    expect(follow.next(named).kind).toBe('named');
    expect(follow.next(named)).toEqual({ kind: 'waiting', holderChanged: false });
  });

  it("the leader's renews keeping the request are waited through; a new holder keeping the request is reported", () => {
    const follow = progress();
    expect(follow.next(lease('pod-1', 3, 1_000, 5_500, 'pod-2'))).toEqual({ kind: 'waiting', holderChanged: false });
    expect(follow.next(lease('pod-3', 4, 9_000, 9_000, 'pod-2'))).toEqual({ kind: 'waiting', holderChanged: true });
  });
});

describe('leasehold handover: when it cannot succeed any more', () => {
  it('the request cleared by another holder taking the lease', () => {
    expect(progress().next(lease('pod-3', 4, 9_000, 9_000))).toEqual({
      kind: 'failed',
      why: 'the request was cleared without pod-2 taking the lease; pod-3 holds it now',
    });
  });

  it('the request overwritten to name someone else', () => {
    expect(progress().next(lease('pod-1', 3, 1_000, 5_500, 'pod-3'))).toEqual({
      kind: 'failed',
      why: 'the request was overwritten: the lease now asks for pod-3; pod-1 holds it now',
    });
  });

  it('the lease named the target, which never renewed it, and expired to another', () => {
    const follow = progress();
    expect(follow.next(lease('pod-2', 4, 6_000, 6_000)).kind).toBe('named');
    expect(follow.next(lease('pod-3', 5, 9_000, 9_000))).toEqual({ kind: 'failed', why: 'the lease named pod-2, which never renewed it; pod-3 holds it now' });
  });

  it('the lease released to nobody', () => {
    expect(progress().next(lease('', 3, 7_000, 7_000))).toEqual({ kind: 'failed', why: 'the request was cleared without pod-2 taking the lease; nobody holds it now' });
  });

  it('the lease deleted', () => {
    expect(progress().next(null)).toEqual({ kind: 'failed', why: 'the lease was deleted' });
  });
});
