/**
 * What every facade runs with besides its own settings: one type for all five (PrimaryLease,
 * LeaderElector, LeaseLocker, LeaseManager, RolloutManager).
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';

/** An XState inspector: an observer of inspection events, or a function called with each. */
export type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * @typeParam Implementations - the machine's named implementations (XState's .provide()).
 * @typeParam Bound - what the defaults act with (a participant's lock and clock, a manager's store and clock).
 */
export interface RuntimeOptions<Implementations = never, Bound = never> {
  /** Time for every delay and timestamp; default realClock. */
  clock?: Clock;
  /** XState inspection (the Stately inspector, the live view, a logger). */
  inspect?: Inspector;
  /** Where what happened is reported (leadership, store errors, failing callbacks); default silent. */
  logger?: Logger;
  /** Randomness for jitter; default Math.random. RolloutManager has none and ignores it. */
  random?: () => number;
  /**
   * Replaces named implementations of the machine (XState's .provide()), given the defaults and what
   * they are bound to. For tests and the fault simulation's planted bugs; production code never needs
   * it. RolloutManager's machine has no effects to replace.
   */
  implementations?: (defaults: Implementations, bound: Bound) => Implementations;
}
