/** A virtual clock, a memory store and one lease: the world most unit tests act in. */
import type { LeaseRecord, LeaseRef } from '../../src/lease/record.js';
import { MemoryLeaseStore } from '../../src/memory/leaseStore.js';
import { VirtualClock } from '../../src/time/virtualClock.js';

export function leaseWorld(name = 'cluster-example') {
  const clock = new VirtualClock();
  const store = new MemoryLeaseStore(clock);
  const ref: LeaseRef = { namespace: 'default', name };
  return {
    clock,
    store,
    ref,
    lock: (identity: string) => store.lockFor(ref, identity),
    /** Puts a record built from `fields` (times default to now). */
    put: (fields: Partial<LeaseRecord>) =>
      store.put(ref, {
        holderIdentity: '',
        leaseDurationSeconds: 15,
        acquireTime: clock.now(),
        renewTime: clock.now(),
        leaseTransitions: 0,
        ...fields,
      }),
    current: () => store.peek(ref),
    record: () => {
      const lease = store.peek(ref);
      if (!lease) throw new Error('the lease does not exist');
      return lease.record;
    },
  };
}

/** Tracks a promise's outcome without awaiting it, for asserting "not yet". */
export function track<T>(promise: Promise<T>) {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as unknown };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}
