/**
 * The lease record: what a coordination.k8s.io/v1 Lease's spec says about leadership, normalised so
 * that no malformed object can crash a participant. Times are epoch milliseconds.
 */

export interface LeaseRecord {
  /** Who holds the lease; "" means free. */
  holderIdentity: string;
  /** How long, in whole seconds, candidates must see no change before taking over; 0 = expired. */
  leaseDurationSeconds: number;
  /** When the current holder acquired the lease (the holder's clock), or null if unknown. */
  acquireTime: number | null;
  /** When the holder last renewed (the holder's clock), or null if unknown. */
  renewTime: number | null;
  /** How many times the lease changed hands; never decreases. Doubles as the fencing token. */
  leaseTransitions: number;
}

/** A record as read from the store, with the resourceVersion that conditional writes must carry. */
export interface ObservedLease {
  record: LeaseRecord;
  resourceVersion: string;
  /** The stored spec had unusable fields, read as their zero values (counted by participants). */
  malformed?: boolean;
  /**
   * Someone asked the holder to hand the lease over to this identity (src/lease/handOverRequest.ts:
   * the annotation, else spec.preferredHolder); absent when nobody asked.
   */
  handOverTo?: string;
}

/** Where a lease lives. */
export interface LeaseRef {
  namespace: string;
  name: string;
}

export const describeLease = (ref: LeaseRef): string => `${ref.namespace}/${ref.name}`;

/** The largest value Kubernetes accepts for an int32 field. */
export const INT32_MAX = 2_147_483_647;
