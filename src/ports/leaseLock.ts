/**
 * The LeaseLock port: everything a participant needs from lease storage, for one lease and one
 * identity. Adapters: MemoryLeaseLock (tests, simulation) and KubernetesLeaseLock (production).
 *
 * Errors are the typed LeaseApiError family (src/lease/errors.ts): NotFound, Conflict (stale
 * resourceVersion), AlreadyExists, Invalid, Forbidden, Unavailable (transient: 5xx, timeout).
 */
import type { Observable } from 'rxjs';
import type { LeaseRecord, LeaseRef, ObservedLease } from '../lease/record.js';

export type LeaseWatchEvent =
  /** The lease as it is now (null: it does not exist). The first one also says the watch is up. */
  | { type: 'observed'; lease: ObservedLease | null }
  /** The watch is down; participants poll every retryPeriod until the next 'observed'. */
  | { type: 'down'; error: Error };

export interface LeaseLock {
  readonly identity: string;
  readonly ref: LeaseRef;
  /** Reads the lease; rejects with LeaseNotFoundError when it does not exist. */
  get(signal?: AbortSignal): Promise<ObservedLease>;
  /** Creates the lease; rejects with LeaseAlreadyExistsError when it exists. */
  create(record: LeaseRecord, signal?: AbortSignal): Promise<ObservedLease>;
  /** Replaces the lease if it is still at `resourceVersion`; LeaseConflictError otherwise. */
  update(record: LeaseRecord, resourceVersion: string, signal?: AbortSignal): Promise<ObservedLease>;
  /** Current state on subscribe, then every change; never errors (reports 'down' instead). */
  watch(): Observable<LeaseWatchEvent>;
  /** "namespace/name" for messages. */
  describe(): string;
  /** Records a human-readable event about this lease (a Kubernetes Event, a log line). */
  recordEvent(message: string): void;
}

/** Something that hands out locks for (lease, identity): a MemoryLeaseStore or a Kubernetes client. */
export interface LeaseLockFactory {
  lockFor(ref: LeaseRef, identity: string): LeaseLock;
}
