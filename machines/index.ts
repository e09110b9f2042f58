/**
 * 'leasehold/machines': the XState v5 machine definitions, for diagrams, inspection and model-based
 * tests of your own. Their state names are public vocabulary. Side effects are named placeholders:
 * the facades in the main entry provide them.
 */
export { leaseParticipantMachine, type ParticipantContext, type ParticipantEvent, type LeaseParticipantMachine } from './leaseParticipant.js';
export { rolloutManagerMachine, type RolloutContext, type RolloutEvent } from './rolloutManager.js';
export { leaseManagerMachine, type LeaseManagerContext, type LeaseManagerEvent } from './leaseManager.js';
