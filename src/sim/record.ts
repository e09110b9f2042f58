/**
 * What a simulated run records, on true time: every leadership window, every committed write, and
 * a readable timeline. The invariants (invariants.ts) and the timeline printer (timeline.ts) read it.
 */
import type { VirtualClock } from '../time/virtualClock.js';
import type { SimSchedule } from './schedule.js';

export interface LeadershipWindow {
  /**
   * Closed by an explicit release while another live candidate was watching with no faults active:
   * the next window must open within one watch delivery and one write.
   */
  handOverExpected?: boolean;
  /**
   * The release was asked for while the leader's own renew was on the wire: the release, sent from
   * the version it held, meets a conflict and reads again first (two more round trips).
   */
  releasedWhileRenewing?: boolean;
  /** Which process (a restart is a new process with the same identity). */
  process: number;
  identity: string;
  /** True time, ms since the start. */
  start: number;
  /** True time it closed; Infinity if still open at the end. */
  end: number;
  term: number | null;
}

export interface CommittedWrite {
  at: number;
  by: string;
  verb: string;
  holderBefore: string | null;
  /** The holder as participants read it (a holder of the wrong type reads as ""). */
  holderAfter: string | null;
  /** The stored leaseTransitions as written, whatever its type, as a number ("7" is 7, 7.5 is 7.5). */
  transitionsBefore: number | null;
  transitionsAfter: number | null;
  /** Written by another client (THIRD_PARTY), not a participant. */
  thirdParty: boolean;
  /** For a third-party write: the holder before it had a watch attached, so it is told at once. */
  holderWatching: boolean;
  /** The store reads the written spec as malformed. */
  malformed: boolean;
  /**
   * A hand-over (a participant writing the lease to another holder) whose target was alive and
   * watching it, with no faults active: the target must lead within one watch delivery and one write.
   */
  targetWatching?: boolean;
}

/** Who writes the lease besides the participants (the memory store's identity for raw writes). */
export const THIRD_PARTY = '(test)';

export interface TimelineEntry {
  at: number;
  who: string;
  /** The participant's own clock at that moment, when it has one. */
  localAt?: number;
  what: string;
}

export interface SimRecord {
  schedule: SimSchedule;
  windows: LeadershipWindow[];
  writes: CommittedWrite[];
  timeline: TimelineEntry[];
  /** True time the quiet phase began. */
  quietAt: number;
  /** True time a leader first existed at or after quietAt (undefined: none by the end). */
  leaderAfterQuiet: number | undefined;
  /** True times a schedule event struck (a crash, a partition, another client's write...). */
  disturbances: number[];
  end: number;
}

/** Keeps a SimRecord on the true clock: times are ms since the run started. */
export class SimRecorder {
  readonly record: SimRecord;
  private readonly epoch: number;

  constructor(
    private readonly truth: VirtualClock,
    schedule: SimSchedule,
  ) {
    this.epoch = truth.now();
    this.record = { schedule, windows: [], writes: [], timeline: [], quietAt: schedule.duration, leaderAfterQuiet: undefined, disturbances: [], end: 0 };
  }

  /** True time since the start, ms. */
  since(): number {
    return this.truth.now() - this.epoch;
  }

  /** Epoch ms of a time since the start. */
  at(sinceStart: number): number {
    return this.epoch + sinceStart;
  }

  log(who: string, what: string, clock?: { now(): number }): void {
    this.record.timeline.push({ at: this.since(), who, what, ...(clock ? { localAt: clock.now() - this.epoch } : {}) });
  }

  write(write: Omit<CommittedWrite, 'at'>): void {
    this.record.writes.push({ at: this.since(), ...write });
    this.log(write.by, `wrote holder=${JSON.stringify(write.holderAfter)} transitions=${write.transitionsAfter}`);
  }

  /** A schedule event strikes now. */
  disturbed(): void {
    this.record.disturbances.push(this.since());
  }

  /** A window opens now; it is returned so that its end can be set when it closes. */
  windowOpened(process: number, identity: string, term: number | null): LeadershipWindow {
    const window: LeadershipWindow = { process, identity, start: this.since(), end: Infinity, term };
    this.record.windows.push(window);
    if (this.record.leaderAfterQuiet === undefined && window.start >= this.record.quietAt) this.record.leaderAfterQuiet = window.start;
    return window;
  }

  /** The quiet phase begins now; a window still open counts as its leader. */
  quiet(): void {
    this.record.quietAt = this.since();
    if (this.record.windows.some((w) => w.end === Infinity)) this.record.leaderAfterQuiet = this.since();
  }

  finish(): SimRecord {
    this.record.end = this.since();
    return this.record;
  }
}
