/** What one simulated run does: who takes part, on which clocks, and which faults strike when. */
import type { LeaseTiming } from '../lease/config.js';

export type ParticipantKind = 'primary' | 'elector';

export interface SimParticipant {
  identity: string;
  /** PrimaryLease (CloudNativePG) or LeaderElector (client-go, restarted by its "pod" after it exits). */
  kind: ParticipantKind;
  /** Local clock offset from true time, ms (any value is safe). */
  offset: number;
  /** Local clock rate (1 = true time); safe while rates differ by less than leaseDuration / renewDeadline. */
  rate: number;
}

export type SimAction =
  | 'crash' // the process dies: no release
  | 'restart' // a dead process starts again with the same identity
  | 'release' // graceful shutdown: release, then exit
  | 'upgrade' // in-place upgrade: keep the lease, exit, successor with the same identity re-adopts
  | 'partition' // cut off from the API
  | 'heal' // reconnected
  | 'dropWatch' // its watch stream breaks
  | 'isolateLeader' // a story: whoever leads now is cut off, comes back, then does `then`
  | 'thirdParty' // another client writes the lease (kubectl, a buggy peer): see ThirdPartyWrite
  | 'handOver'; // whoever leads now hands the lease to `target`: see HandOverStory

/**
 * A targeted hand-over: asked by a call (handOver), the annotation or spec.preferredHolder, to a
 * target that is alive, dead (crashed just before), partitioned (just before), or while the
 * leader releases at once as well (a competing release).
 */
export interface HandOverStory {
  via: 'call' | 'annotation' | 'preferredHolder';
  target: 'alive' | 'dead' | 'partitioned' | 'competingRelease';
}

/** What another client writes over the lease, whoever holds it; the simulation writes it raw. */
export interface ThirdPartyWrite {
  /**
   * The holder written: nobody (a forced release), "intruder" (a takeover by an identity no
   * participant has), the holder as it is (a touch), or a number (malformed: read as nobody).
   */
  holder: 'nobody' | 'intruder' | 'same' | 'wrongType';
  /** leaseDurationSeconds: left out, 0, a numeric string (all unusable: read as 0), or whole seconds. */
  duration: 'missing' | 'zero' | 'string' | number;
  /** leaseTransitions relative to the stored term: kept, + 1, + 1 as a string, + 0.5, or the int32 maximum. */
  transitions: 'kept' | 'next' | 'string' | 'fraction' | 'max';
}

export interface SimEvent {
  /** True time since the start, ms. */
  at: number;
  action: SimAction;
  /** Index into participants (ignored by isolateLeader, which picks the current leader). */
  target: number;
  /** For isolateLeader: how long the leader is cut off, and what it does `after` ms once back. */
  story?: { cutOffFor: number; then: SimAction; after: number };
  /** For thirdParty: what is written. */
  write?: ThirdPartyWrite;
  /** For handOver: how it is asked and what becomes of the target (`target` indexes it; the leader is skipped). */
  handOver?: HandOverStory;
}

export interface SimFaults {
  /** Probability that a call fails with a 5xx before committing. */
  unavailableRate: number;
  /** Probability that a call commits but its response is lost (a timeout after commit). */
  timeoutAfterCommitRate: number;
  /** Probability of a spurious 409 Conflict. */
  conflictRate: number;
  /** Round-trip latency, uniform in [min, max] ms. */
  latency: { min: number; max: number };
}

export interface SimSchedule {
  seed: number;
  timing: LeaseTiming;
  participants: SimParticipant[];
  faults: SimFaults;
  events: SimEvent[];
  /** True time the faulty phase lasts; a quiet phase (faults off, everyone healed and alive) follows. */
  duration: number;
  /** A hand-over in the quiet phase, this long after it began, from whoever leads to a watching candidate. */
  quietHandOver?: { after: number; via: HandOverStory['via'] };
  /**
   * A graceful shutdown in the quiet phase, this long after it began: whoever leads releases and
   * exits, with faults off, so that a watching candidate must lead within one watch delivery and one write.
   */
  quietRelease?: { after: number };
}
