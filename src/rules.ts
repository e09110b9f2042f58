/**
 * 'leasehold/rules': the pure rules and the types beneath the facades, for a store or tools of your
 * own: the lease record and its conversion to and from a Lease's spec, the two storage ports'
 * types, hand-over requests, durations in Go's format, the lease manager's secretaries, the
 * participant's configuration and the error kinds. No I/O, no clock.
 */
import './supportedNode.js'; // first: a clear error on a Node.js too old for the rest

export type { LeaseRecord, ObservedLease } from './lease/record.js';
export { leaseSpecToLockRecord, lockRecordToLeaseSpec, type LeaseSpecJson } from './lease/spec.js';
export type { LeaseLockFactory, LeaseWatchEvent } from './ports/leaseLock.js';
export type { ClaimOutcome, ExpireOutcome, LeaseKey, ManagedLease, ManagedLeaseChange, PinOutcome, RevokeOutcome } from './ports/managedLeaseStore.js';
export { handOverRequest, type HandOverRequestFields } from './lease/handOverRequest.js';
export { parseDuration, formatDuration } from './lease/duration.js';
export { defaultSecretaryFinder, genericSecretary, applicationLeadershipSecretary, type Secretary, type SecretaryFinder } from './lease/secretary.js';
export type { ParticipantConfig, LeaseTiming } from './lease/config.js';
export { LEASE_ERROR_KINDS } from './lease/errorKind.js';
