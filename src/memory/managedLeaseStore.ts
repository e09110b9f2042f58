/**
 * The LeaseManager's store in memory: one map, decisions made atomically (each call runs to
 * completion on the event loop), a change feed shared by every manager using the same store, and
 * fault injection for tests (fail the next N calls with an error kind).
 */
import { Observable, Subject } from 'rxjs';
import { leaseApiError, type LeaseErrorKind } from '../lease/errors.js';
import type { Clock } from '../time/clock.js';
import {
  isLive,
  leaseKeyId,
  leaseKeyString,
  type ClaimOutcome,
  type ExpireOutcome,
  type LeaseKey,
  type ManagedLease,
  type ManagedLeaseChange,
  type ManagedLeaseStore,
  type PinOutcome,
  type RevokeOutcome,
} from '../ports/managedLeaseStore.js';

export type FaultMatch = (method: keyof MemoryManagedLeaseStore['calls'], key: LeaseKey) => boolean;

export class MemoryManagedLeaseStore implements ManagedLeaseStore {
  private readonly leases = new Map<string, ManagedLease>();
  private readonly changeSubject = new Subject<ManagedLeaseChange[]>();
  private readonly unsent: ManagedLeaseChange[] = [];
  private readonly faults: { kind: LeaseErrorKind; remaining: number; match: FaultMatch }[] = [];
  /** Store calls made, by method: the figures of the fault tests. */
  readonly calls = { claim: 0, revoke: 0, expire: 0, pin: 0, unpin: 0 };

  constructor(private readonly clock: Clock) {}

  describe(): string {
    return 'memory';
  }

  /** Fails the next `count` calls (claim, revoke, expire, pin, unpin) with `kind`; only those `match` picks. */
  failNext(count: number, kind: LeaseErrorKind, match: FaultMatch = () => true): void {
    this.faults.push({ kind, remaining: count, match });
  }

  /** Faults queued by failNext and not yet thrown. */
  get pendingFaults(): number {
    return this.faults.reduce((sum, fault) => sum + fault.remaining, 0);
  }

  /** Ends the change feed of every manager with an error of `kind` (a store that is gone for good). */
  breakFeed(kind: LeaseErrorKind): void {
    this.changeSubject.error(leaseApiError(kind, `injected ${kind} on the change feed`));
  }

  /** Every live lease (for tests and reports). */
  snapshot(): ManagedLease[] {
    return [...this.leases.values()];
  }

  changes(): Observable<ManagedLeaseChange[]> {
    return new Observable((subscriber) => {
      subscriber.next([...this.leases.values()].map((lease) => ({ key: lease.key, lease })));
      return this.changeSubject.subscribe(subscriber);
    });
  }

  async claim(key: LeaseKey, holder: string, durationMs: number): Promise<ClaimOutcome> {
    this.enter('claim', key);
    const current = this.leases.get(leaseKeyId(key));
    if (current && current.holder !== holder) return { outcome: 'denied', holder: current.holder };
    const expiry = Math.max(current?.expiry ?? 0, this.clock.now() + durationMs);
    const lease = this.write(key, { key, holder, expiry, pinnedBy: current?.pinnedBy ?? [] });
    return { outcome: current ? 'extended' : 'claimed', lease };
  }

  async revoke(key: LeaseKey, holder: string): Promise<RevokeOutcome> {
    this.enter('revoke', key);
    const current = this.leases.get(leaseKeyId(key));
    if (!current || current.holder !== holder) return 'notHeld';
    if (current.pinnedBy.length) return 'pinned';
    this.write(key, null);
    return 'revoked';
  }

  async expire(key: LeaseKey): Promise<ExpireOutcome> {
    this.enter('expire', key);
    const current = this.leases.get(leaseKeyId(key));
    if (!current) return 'gone';
    if (current.pinnedBy.length) return 'pinned';
    if (isLive(current, this.clock.now())) return 'notExpired';
    this.write(key, null);
    return 'expired';
  }

  async pin(key: LeaseKey, entity: string): Promise<PinOutcome> {
    this.enter('pin', key);
    return this.repin(key, (pins) => (pins.includes(entity) ? pins : [...pins, entity]));
  }

  async unpin(key: LeaseKey, entity: string): Promise<PinOutcome> {
    this.enter('unpin', key);
    return this.repin(key, (pins) => pins.filter((pin) => pin !== entity));
  }

  private repin(key: LeaseKey, change: (pins: readonly string[]) => readonly string[]): PinOutcome {
    const current = this.leases.get(leaseKeyId(key));
    if (!current) return { outcome: 'notHeld' };
    return { outcome: 'done', lease: this.write(key, { ...current, pinnedBy: change(current.pinnedBy) }) };
  }

  private write(key: LeaseKey, lease: ManagedLease | null): ManagedLease {
    if (lease) this.leases.set(leaseKeyId(key), lease);
    else this.leases.delete(leaseKeyId(key));
    // Changes made in one turn of the event loop reach the feed as one batch, as a watch delivers them.
    if (!this.unsent.length) queueMicrotask(() => this.changeSubject.next(this.unsent.splice(0)));
    this.unsent.push({ key, lease });
    return lease!;
  }

  /** Counts the call and throws the next injected fault, if any. */
  private enter(method: keyof MemoryManagedLeaseStore['calls'], key: LeaseKey): void {
    this.calls[method]++;
    const fault = this.faults[0];
    if (!fault || !fault.match(method, key)) return;
    if (--fault.remaining <= 0) this.faults.shift();
    throw leaseApiError(fault.kind, `injected ${fault.kind} on ${method}`, { lease: leaseKeyString(key) });
  }
}
