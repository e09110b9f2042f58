/**
 * What `leasehold handover` makes of each version of the lease after it wrote its request: pure,
 * so the rule is read (and tested) apart from the watch that feeds it.
 *
 * The target leads once it has written the lease itself while holding it: a version naming it
 * whose renewTime is later than its acquireTime (it renewed since acquiring), or a second version
 * naming it with another renewTime than the first (the same, judged without trusting that the two
 * clocks that wrote the times agree). The first version naming it may be the leader's hand-over
 * write, which only names it; the target's confirming renew is what makes it lead (its
 * `leasehold run` starts CMD then), so that is what the command waits for.
 */
import { handOverRequest, HAND_OVER_ANNOTATION } from '../../lease/handOverRequest.js';
import { leaseSpecToLockRecord } from '../../lease/spec.js';
import type { LeaseRecord } from '../../lease/record.js';

/** The parts of a Lease object the command reads. */
export interface LeaseView {
  record: LeaseRecord;
  resourceVersion: string;
  /** Who the Lease asks its holder to hand over to (annotation, else spec.preferredHolder). */
  request: string | undefined;
}

interface LeaseObject {
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { preferredHolder?: string } | object;
}

export function viewOf(lease: LeaseObject): LeaseView {
  return {
    record: leaseSpecToLockRecord(lease.spec),
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    request: handOverRequest({
      annotation: lease.metadata?.annotations?.[HAND_OVER_ANNOTATION],
      preferredHolder: (lease.spec as { preferredHolder?: unknown } | undefined)?.preferredHolder,
    }),
  };
}

export type HandOverStep =
  /** Nothing decided; `holderChanged` when the holder is not the one of the last version. */
  | { kind: 'waiting'; holderChanged: boolean }
  /** The lease names the target, which has not renewed it yet. */
  | { kind: 'named' }
  | { kind: 'leads' }
  /** The request cannot succeed any more; `why` says what the lease shows. */
  | { kind: 'failed'; why: string };

export class HandOverProgress {
  private holder: string;
  private resourceVersion: string;
  /** renewTime of the first version naming the target, once seen. */
  private namedRenewTime: number | null | undefined;

  /** `written`: the lease as the request write stored it. */
  constructor(
    readonly target: string,
    written: LeaseView,
  ) {
    this.holder = written.record.holderIdentity;
    this.resourceVersion = written.resourceVersion;
  }

  /** The next version of the lease (null: it was deleted). */
  next(lease: LeaseView | null): HandOverStep {
    const { target } = this;
    if (!lease) return { kind: 'failed', why: 'the lease was deleted' };
    if (lease.resourceVersion === this.resourceVersion) return { kind: 'waiting', holderChanged: false };
    this.resourceVersion = lease.resourceVersion;
    const { holderIdentity: holder, acquireTime, renewTime } = lease.record;
    const holderChanged = holder !== this.holder;
    this.holder = holder;
    if (holder === target) {
      const renewedSinceAcquiring = acquireTime !== null && renewTime !== null && renewTime > acquireTime;
      if (renewedSinceAcquiring || (this.namedRenewTime !== undefined && renewTime !== this.namedRenewTime)) return { kind: 'leads' };
      this.namedRenewTime ??= renewTime;
      return { kind: 'named' };
    }
    const now = holder ? `${holder} holds it now` : 'nobody holds it now';
    if (this.namedRenewTime !== undefined) return { kind: 'failed', why: `the lease named ${target}, which never renewed it; ${now}` };
    if (lease.request === undefined) return { kind: 'failed', why: `the request was cleared without ${target} taking the lease; ${now}` };
    if (lease.request !== target) return { kind: 'failed', why: `the request was overwritten: the lease now asks for ${lease.request}; ${now}` };
    return { kind: 'waiting', holderChanged };
  }
}
