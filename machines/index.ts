/**
 * 'leasehold/machines': the XState v5 machine definitions, for diagrams, inspection and model-based
 * tests of your own. Their state names are public vocabulary. Side effects are named placeholders:
 * the facades in the main entry provide them.
 */
export { leaseParticipantMachine } from './leaseParticipant.js';
export { rolloutManagerMachine } from './rolloutManager.js';
export { leaseManagerMachine } from './leaseManager.js';
export type * from './leaseParticipant.js';
export type * from './rolloutManager.js';
export type * from './leaseManager.js';
export type { ExpiryEntry, ExpiryQueue } from './expiryQueue.js';
export type {
  ParticipantActor,
  ParticipantSnapshot,
  LeaseManagerActor,
  LeaseManagerSnapshot,
  RolloutManagerActor,
  RolloutManagerSnapshot,
} from './actors.js';
