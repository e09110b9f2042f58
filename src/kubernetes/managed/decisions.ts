/**
 * The rules of the managed-lease store, as pure functions of the lease last read and the local time.
 * Each returns the outcome and, when the outcome needs one, the record to write; the store writes it
 * conditionally on the resourceVersion it read, and decides again on a fresh read if someone wrote first.
 *
 * A lease is free when there is no object, its holder is "", or it has lapsed by this process's
 * clock and nobody pins it. A holder change counts one leaseTransition (as in client-go).
 */
import type { LeaseRecord } from '../../lease/record.js';
import { type ClaimOutcome, type ExpireOutcome, type LeaseKey, type ManagedLease, type PinOutcome, type RevokeOutcome, isLive } from '../../ports/managedLeaseStore.js';

/** A lease object as read: its record, its pins, and when it lapses by this process's clock. */
export interface ReadLease {
  record: LeaseRecord;
  pinnedBy: readonly string[];
  expiry: number;
}

/** What to write; `expiry` is the local expiry of the version the write creates. */
export interface LeaseWrite {
  record: LeaseRecord;
  pinnedBy: readonly string[];
  expiry: number;
}

export interface Decision<T> {
  outcome: T;
  write?: LeaseWrite;
}

/** Kubernetes counts whole seconds: round up, so others never reckon a shorter lease than granted. */
const durationSeconds = (durationMs: number): number => Math.max(1, Math.ceil(durationMs / 1000));

const isHeld = (current: ReadLease | undefined): current is ReadLease => current !== undefined && current.record.holderIdentity !== '';
const isPinned = (current: ReadLease) => current.pinnedBy.length > 0;

const managedLease = (key: LeaseKey, write: LeaseWrite): ManagedLease => ({
  key,
  holder: write.record.holderIdentity,
  expiry: write.expiry,
  pinnedBy: write.pinnedBy,
});

/** A write that leaves the holder's timing alone keeps the lapse time already reckoned. */
const rewrite = (current: ReadLease, changes: Partial<LeaseRecord>, pinnedBy = current.pinnedBy): LeaseWrite => ({
  record: { ...current.record, ...changes },
  pinnedBy,
  expiry: current.expiry,
});

/**
 * Takes a free lease or extends the holder's own. An extension never shortens the lease (as in
 * Juju): it writes a duration that covers whatever was left, so nobody reckons an earlier lapse.
 */
export function decideClaim(key: LeaseKey, current: ReadLease | undefined, holder: string, durationMs: number, now: number): Decision<ClaimOutcome> {
  if (isHeld(current) && current.record.holderIdentity === holder) {
    const extendedMs = Math.max(durationMs, current.expiry - now);
    const write: LeaseWrite = {
      ...rewrite(current, { leaseDurationSeconds: durationSeconds(extendedMs), renewTime: now, acquireTime: current.record.acquireTime ?? now }),
      expiry: now + extendedMs,
    };
    return { outcome: { outcome: 'extended', lease: managedLease(key, write) }, write };
  }
  if (isHeld(current) && isLive(current, now)) {
    return { outcome: { outcome: 'denied', holder: current.record.holderIdentity } };
  }
  const write: LeaseWrite = {
    record: {
      holderIdentity: holder,
      leaseDurationSeconds: durationSeconds(durationMs),
      renewTime: now,
      acquireTime: now,
      leaseTransitions: current ? current.record.leaseTransitions + 1 : 0,
    },
    pinnedBy: [],
    expiry: now + durationMs,
  };
  return { outcome: { outcome: 'claimed', lease: managedLease(key, write) }, write };
}

export function decideRevoke(current: ReadLease | undefined, holder: string): Decision<RevokeOutcome> {
  if (!isHeld(current) || current.record.holderIdentity !== holder) return { outcome: 'notHeld' };
  if (isPinned(current)) return { outcome: 'pinned' };
  return { outcome: 'revoked', write: rewrite(current, { holderIdentity: '' }) };
}

export function decideExpire(current: ReadLease | undefined, now: number): Decision<ExpireOutcome> {
  if (!isHeld(current)) return { outcome: 'gone' };
  if (isPinned(current)) return { outcome: 'pinned' };
  if (isLive(current, now)) return { outcome: 'notExpired' };
  return { outcome: 'expired', write: rewrite(current, { holderIdentity: '' }) };
}

/** Adds (`pinned` true) or removes an entity's pin on a held lease; writes only when the pins change. */
export function decidePin(key: LeaseKey, current: ReadLease | undefined, entity: string, pinned: boolean): Decision<PinOutcome> {
  if (!isHeld(current)) return { outcome: { outcome: 'notHeld' } };
  if (current.pinnedBy.includes(entity) === pinned) return { outcome: { outcome: 'done', lease: managedLease(key, rewrite(current, {})) } };
  const pinnedBy = pinned ? [...current.pinnedBy, entity] : current.pinnedBy.filter((e) => e !== entity);
  const write = rewrite(current, {}, pinnedBy);
  return { outcome: { outcome: 'done', lease: managedLease(key, write) }, write };
}
