/**
 * The port behind the LeaseManager: many leases, many holders, one store. Adapters:
 * MemoryManagedLeaseStore (tests, simulation, single process) and KubernetesManagedLeaseStore (one
 * Lease object per lease, so several processes can share a manager's leases).
 *
 * The store decides every claim atomically (compare-and-swap where the backend needs it), so two
 * managers sharing a store can never both be told they hold the same lease. Expiry times are local
 * to the process that reads them: a lease written by someone else expires `duration` after this
 * process *observed* the write — later than it really does, never earlier.
 *
 * Errors are the typed LeaseApiError family: Unavailable is transient (the manager retries it with
 * backoff); any other kind is fatal to the manager.
 */
import type { Observable } from 'rxjs';

/** A lease is named within a (namespace, model): e.g. ("application-leadership", model UUID, "mysql"). */
export interface LeaseKey {
  namespace: string;
  model: string;
  lease: string;
}

export interface ManagedLease {
  key: LeaseKey;
  holder: string;
  /** Local epoch ms at which the lease lapses unless extended (or pinned). */
  expiry: number;
  /** Entities pinning the lease; while any does, it never expires and cannot be revoked. */
  pinnedBy: readonly string[];
}

/** One lease as it is now (`lease` null: it is gone). */
export interface ManagedLeaseChange {
  key: LeaseKey;
  lease: ManagedLease | null;
}

export type ClaimOutcome =
  | { outcome: 'claimed' | 'extended'; lease: ManagedLease }
  | { outcome: 'denied'; holder: string };

export type RevokeOutcome = 'revoked' | 'notHeld' | 'pinned';
export type ExpireOutcome = 'expired' | 'notExpired' | 'pinned' | 'gone';
export type PinOutcome = { outcome: 'done'; lease: ManagedLease } | { outcome: 'notHeld' };

export interface ManagedLeaseStore {
  /**
   * Every live lease on subscribe (one batch), then batches of changes — this process's writes
   * included. Errors with a LeaseApiError when the feed cannot continue.
   */
  changes(): Observable<ManagedLeaseChange[]>;
  /** Takes a free lease, extends one `holder` already holds, or reports who holds it. */
  claim(key: LeaseKey, holder: string, durationMs: number): Promise<ClaimOutcome>;
  /** Ends `holder`'s lease at once. */
  revoke(key: LeaseKey, holder: string): Promise<RevokeOutcome>;
  /** Removes the lease if it has lapsed by the store's reckoning and nobody pins it. */
  expire(key: LeaseKey): Promise<ExpireOutcome>;
  pin(key: LeaseKey, entity: string): Promise<PinOutcome>;
  unpin(key: LeaseKey, entity: string): Promise<PinOutcome>;
  /** For messages: where the leases live. */
  describe(): string;
}

/** The key of a lease in maps: one string per (namespace, model, lease), whatever the parts hold. */
export const leaseKeyId = ({ namespace, model, lease }: LeaseKey): string => JSON.stringify([namespace, model, lease]);

/** Two views of a lease that tell the same: holder, expiry and pins. */
export const sameLease = (a: ManagedLease, b: ManagedLease): boolean =>
  a.holder === b.holder &&
  a.expiry === b.expiry &&
  a.pinnedBy.length === b.pinnedBy.length &&
  a.pinnedBy.every((entity, index) => entity === b.pinnedBy[index]);

/** A lease as people read it, for messages and logs (ambiguous if a part contains "/"). */
export const leaseKeyString = ({ namespace, model, lease }: LeaseKey): string => `${namespace}/${model}/${lease}`;

/** A lease is live while anyone pins it or until its local expiry: the one rule for checks, claims and expiry. */
export const isLive = (lease: { readonly expiry: number; readonly pinnedBy: readonly string[] }, now: number): boolean =>
  lease.pinnedBy.length > 0 || now < lease.expiry;
