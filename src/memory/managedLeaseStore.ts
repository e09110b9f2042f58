/**
 * The LeaseManager's store in memory: one map, decisions made atomically (each call runs to
 * completion on the event loop), a change feed shared by every manager using the same store, and
 * fault injection for tests (faults.ts: the same API as MemoryLeaseStore's).
 */
import { Observable, Subject } from 'rxjs';
import { leaseApiError, type LeaseErrorKind } from '../lease/errors.js';
import { FaultQueue, type InjectedFault } from './faults.js';
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

/** One call of the store, as a fault's `match` sees it. */
export interface ManagedStoreCall {
  verb: keyof MemoryManagedLeaseStore['calls'];
  key: LeaseKey;
}

export class MemoryManagedLeaseStore implements ManagedLeaseStore {
  private readonly leases = new Map<string, ManagedLease>();
  private readonly changeSubject = new Subject<ManagedLeaseChange[]>();
  private readonly unsent: ManagedLeaseChange[] = [];
  private readonly faults = new FaultQueue<ManagedStoreCall>();
  /** Store calls made, by method: the figures of the fault tests. */
  readonly calls = { claim: 0, revoke: 0, expire: 0, pin: 0, unpin: 0 };

  constructor(private readonly clock: Clock) {}

  describe(): string {
    return 'memory';
  }

  /** The next `count` calls (claim, revoke, expire, pin, unpin) matching `fault.match` fail with `fault.kind`. */
  failNext(count: number, fault: InjectedFault<ManagedStoreCall>): void {
    this.faults.push(count, fault);
  }

  /** Faults queued by failNext and not yet thrown. */
  get pendingFaults(): number {
    return this.faults.pending;
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
    return this.call('claim', key, (current) => {
      if (current && current.holder !== holder) return { outcome: 'denied', holder: current.holder };
      const expiry = Math.max(current?.expiry ?? 0, this.clock.now() + durationMs);
      const lease = this.write(key, { key, holder, expiry, pinnedBy: current?.pinnedBy ?? [] });
      return { outcome: current ? 'extended' : 'claimed', lease };
    });
  }

  async revoke(key: LeaseKey, holder: string): Promise<RevokeOutcome> {
    return this.call('revoke', key, (current) => {
      if (!current || current.holder !== holder) return 'notHeld';
      if (current.pinnedBy.length) return 'pinned';
      this.write(key, null);
      return 'revoked';
    });
  }

  async expire(key: LeaseKey): Promise<ExpireOutcome> {
    return this.call('expire', key, (current) => {
      if (!current) return 'gone';
      if (current.pinnedBy.length) return 'pinned';
      if (isLive(current, this.clock.now())) return 'notExpired';
      this.write(key, null);
      return 'expired';
    });
  }

  async pin(key: LeaseKey, entity: string): Promise<PinOutcome> {
    return this.call('pin', key, (current) => this.repin(key, current, (pins) => (pins.includes(entity) ? pins : [...pins, entity])));
  }

  async unpin(key: LeaseKey, entity: string): Promise<PinOutcome> {
    return this.call('unpin', key, (current) => this.repin(key, current, (pins) => pins.filter((pin) => pin !== entity)));
  }

  private repin(key: LeaseKey, current: ManagedLease | undefined, change: (pins: readonly string[]) => readonly string[]): PinOutcome {
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

  /** Counts the call and decides it on the lease as it is, failing it (before or after) when a fault is queued for it. */
  private call<T>(verb: ManagedStoreCall['verb'], key: LeaseKey, decide: (current: ManagedLease | undefined) => T): T {
    this.calls[verb]++;
    const fault = this.faults.take({ verb, key });
    const failure = () => leaseApiError(fault!.kind, `injected ${fault!.kind} on ${verb}`, { lease: leaseKeyString(key) });
    if (fault && !fault.afterApply) throw failure();
    const outcome = decide(this.leases.get(leaseKeyId(key)));
    if (fault) throw failure();
    return outcome;
  }
}
