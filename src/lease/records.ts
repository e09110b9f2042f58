/**
 * The records a participant writes, as pure functions of what it read, who it is and the local
 * time the write is sent. One place for the rules every facade shares.
 */
import type { ParticipantConfig } from './config.js';
import { INT32_MAX, type LeaseRecord } from './record.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

/** A new lease held by `identity` (client-go's create: transitions start at 0). */
export function createdRecord(identity: string, config: ParticipantConfig, now: number): LeaseRecord {
  return {
    holderIdentity: identity,
    leaseDurationSeconds: seconds(config.leaseDuration),
    acquireTime: now,
    renewTime: now,
    leaseTransitions: 0,
  };
}

/**
 * The term of the next tenure. leaseTransitions is an int32 on the wire: at 2147483647 it stays
 * there (a write of 2147483648 is refused by the API server, and wraps to 0 where nothing checks),
 * so from then on every tenure has the same term and it no longer tells tenures apart.
 */
export const nextTerm = (transitions: number): number => Math.min(INT32_MAX, transitions + 1);

/** Taking over from another holder or from "": a new tenure, so transitions + 1 (saturating). */
export function claimedRecord(previous: LeaseRecord, identity: string, config: ParticipantConfig, now: number): LeaseRecord {
  return {
    holderIdentity: identity,
    leaseDurationSeconds: seconds(config.leaseDuration),
    acquireTime: now,
    renewTime: now,
    leaseTransitions: nextTerm(previous.leaseTransitions),
  };
}

/** The holder renewing: acquireTime and transitions kept, duration rewritten from our config. */
export function renewedRecord(previous: LeaseRecord, identity: string, config: ParticipantConfig, now: number): LeaseRecord {
  return {
    ...previous,
    holderIdentity: identity,
    leaseDurationSeconds: seconds(config.leaseDuration),
    renewTime: now,
  };
}

/** Handing back: holder "", the short released duration, times now, transitions kept. */
export function releasedRecord(previous: LeaseRecord, config: ParticipantConfig, now: number): LeaseRecord {
  return {
    holderIdentity: '',
    leaseDurationSeconds: seconds(config.releasedLeaseDuration),
    acquireTime: now,
    renewTime: now,
    leaseTransitions: previous.leaseTransitions,
  };
}
