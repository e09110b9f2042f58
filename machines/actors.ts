/** The types of the running machines: what each facade's `actor` is, and its snapshots. */
import type { Actor, SnapshotFrom } from 'xstate';
import type { leaseManagerMachine } from './leaseManager.js';
import type { leaseParticipantMachine } from './leaseParticipant.js';
import type { rolloutManagerMachine } from './rolloutManager.js';

/** PrimaryLease's, LeaderElector's and LeaseLocker's actor. */
export type ParticipantActor = Actor<typeof leaseParticipantMachine>;
export type ParticipantSnapshot = SnapshotFrom<typeof leaseParticipantMachine>;
/** LeaseManager's actor. */
export type LeaseManagerActor = Actor<typeof leaseManagerMachine>;
export type LeaseManagerSnapshot = SnapshotFrom<typeof leaseManagerMachine>;
/** RolloutManager's actor. */
export type RolloutManagerActor = Actor<typeof rolloutManagerMachine>;
export type RolloutManagerSnapshot = SnapshotFrom<typeof rolloutManagerMachine>;
