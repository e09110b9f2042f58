import type { Observable } from 'rxjs';
import { alreadyExistsMessage, conflictMessage, notFoundMessage } from '../lease/apiMessages.js';
import { LeaseAlreadyExistsError, LeaseConflictError, LeaseNotFoundError } from '../lease/errors.js';
import { describeLease, type LeaseRecord, type LeaseRef, type ObservedLease } from '../lease/record.js';
import { lockRecordToLeaseSpec } from '../lease/spec.js';
import type { LeaseLock, LeaseWatchEvent } from '../ports/leaseLock.js';
import type { MemoryLeaseStore } from './leaseStore.js';

/** A LeaseLock over a MemoryLeaseStore: the same compare-and-swap and watch semantics as Kubernetes. */
export class MemoryLeaseLock implements LeaseLock {
  /** Events recorded through recordEvent(), oldest first. */
  readonly events: string[] = [];

  constructor(
    private readonly store: MemoryLeaseStore,
    readonly ref: LeaseRef,
    readonly identity: string,
  ) {}

  private get context() {
    return { lease: this.describe(), identity: this.identity };
  }

  get(signal?: AbortSignal): Promise<ObservedLease> {
    return this.store.call({ verb: 'get', ref: this.ref, identity: this.identity }, signal, () => {
      const lease = this.store.read(this.ref);
      if (!lease) throw new LeaseNotFoundError(notFoundMessage(this.ref.name), this.context);
      return lease;
    });
  }

  create(record: LeaseRecord, signal?: AbortSignal): Promise<ObservedLease> {
    const call = { verb: 'create', ref: this.ref, identity: this.identity } as const;
    return this.store.call(call, signal, () => {
      if (this.store.read(this.ref)) throw new LeaseAlreadyExistsError(alreadyExistsMessage(this.ref.name), this.context);
      return this.store.commit(call, lockRecordToLeaseSpec(record));
    });
  }

  update(record: LeaseRecord, resourceVersion: string, signal?: AbortSignal): Promise<ObservedLease> {
    const call = { verb: 'update', ref: this.ref, identity: this.identity } as const;
    return this.store.call(call, signal, () => {
      const current = this.store.read(this.ref);
      if (!current) throw new LeaseNotFoundError(notFoundMessage(this.ref.name), this.context);
      if (current.resourceVersion !== resourceVersion) {
        throw new LeaseConflictError(conflictMessage(this.ref.name), this.context);
      }
      return this.store.commit(call, lockRecordToLeaseSpec(record));
    });
  }

  watch(): Observable<LeaseWatchEvent> {
    return this.store.watch(this.ref, this.identity);
  }

  describe(): string {
    return describeLease(this.ref);
  }

  recordEvent(message: string): void {
    this.events.push(message);
  }
}
