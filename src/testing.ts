/**
 * 'leasehold/testing': test doubles for programs built on leasehold. A VirtualClock runs hours of
 * lease traffic in milliseconds; the memory stores behave as the Kubernetes adapters do
 * (compare-and-swap, strictly increasing resourceVersions, watches) and inject faults.
 */
import './supportedNode.js'; // first: a clear error on a Node.js too old for the rest
export { VirtualClock, type VirtualClockOptions } from './time/virtualClock.js';
export { SkewedClock } from './time/skewedClock.js';
export { MemoryLeaseStore, type StoreCall, type StoreChange, type StoreVerb } from './memory/leaseStore.js';
export type { InjectedFault } from './memory/faults.js';
export { MemoryLeaseLock } from './memory/leaseLock.js';
export { MemoryManagedLeaseStore, type ManagedStoreCall } from './memory/managedLeaseStore.js';
