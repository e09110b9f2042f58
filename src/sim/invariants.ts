/**
 * The guarantees of DESIGN.md, checked on a simulated run's record:
 *  1. no two leadership windows overlap (safety), unless another client freed the lease under the
 *     earlier one (holder "": candidates take it at once; check 4 bounds how long the leader acts);
 *  2. a non-holder never writes over a holder whose window is open;
 *  3. no participant writes a lower leaseTransitions than the one stored, whatever its type, nor a
 *     record the store reads as malformed (a term past the int32 maximum, say);
 *  4. a leader whose watch is attached stops leading within one watch delivery of another client's
 *     write that removes it (holder "", another, or a holder of the wrong type);
 *  5. liveness: once faults stop, a leader exists within the bound; after an explicit release with
 *     a watching candidate and no faults, the next leader within one watch delivery and one write
 *     (and two round trips more when the release raced the leader's own renew: a conflict, a read);
 *  6. after a hand-over to a live, watching target with no faults active, the target leads within
 *     one watch delivery and one write (its confirming renew), unless something struck meanwhile.
 */
import { LONGEST_THIRD_PARTY_DURATION } from './arbitrary.js';
import type { LeadershipWindow, SimRecord } from './record.js';

export type InvariantName =
  | 'overlap'
  | 'nonHolderWrite'
  | 'transitions'
  | 'malformedWrite'
  | 'removal'
  | 'liveness'
  | 'handOver'
  | 'handOverTarget';

export interface Violation {
  invariant: InvariantName;
  at: number;
  message: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

/** The longest a leaderless cluster may take to elect once faults stop (see the bound's terms). */
export function livenessBound(record: SimRecord): number {
  const { timing, participants, faults, events } = record.schedule;
  const slowest = Math.min(...participants.map((p) => p.rate));
  const thirdParty = events.some((e) => e.action === 'thirdParty');
  const longestWait = thirdParty ? LONGEST_THIRD_PARTY_DURATION * timing.leaseDuration : timing.leaseDuration;
  return (
    longestWait / slowest + // a candidate waits the longest duration written, on its own clock, after first sight
    2.2 * timing.retryPeriod + // it may first see the lease only at its next (jittered) poll
    1_000 + // or when its watch, or its restarted process, is back
    4 * faults.latency.max // the read that sees it, and the claim
  );
}

export function checkInvariants(record: SimRecord): Violation[] {
  const violations: Violation[] = [];
  const windows = [...record.windows].sort((a, b) => a.start - b.start);

  // Another client freeing the lease (holder "", or a holder read as "") lets candidates take it at
  // once, before its leader can know: an overlap with a tenure it removed and then freed is the
  // writer's (check 4 bounds how long the removed leader acts). Order is commit order.
  const { writes } = record;
  const openingWrite = (w: LeadershipWindow) => writes.findLastIndex((c) => c.by === w.identity && c.at <= w.start);
  const freedUnder = (removed: LeadershipWindow, other: LeadershipWindow) => {
    const removal = writes.findIndex(
      (c, i) => c.thirdParty && i > openingWrite(removed) && c.holderBefore === removed.identity && c.holderAfter !== removed.identity,
    );
    return removal >= 0 && writes.some((c, i) => c.thirdParty && i >= removal && c.holderAfter === '' && c.at <= other.start);
  };
  windows.forEach((earlier, i) => {
    for (const later of windows.slice(i + 1)) {
      if (later.start >= earlier.end || freedUnder(earlier, later) || freedUnder(later, earlier)) continue;
      violations.push({
        invariant: 'overlap',
        at: later.start,
        message: `${later.identity} (process ${later.process}) leads from ${seconds(later.start)} while ${earlier.identity} (process ${earlier.process}) leads until ${seconds(earlier.end)}`,
      });
    }
  });

  for (const write of record.writes) {
    const { holderBefore, by } = write;
    if (holderBefore && holderBefore !== by && !write.thirdParty) {
      const live = windows.find((w) => w.identity === holderBefore && w.start <= write.at && write.at < w.end);
      if (live) {
        violations.push({
          invariant: 'nonHolderWrite',
          at: write.at,
          message: `${by} wrote holder=${JSON.stringify(write.holderAfter)} over ${holderBefore}, who leads until ${seconds(live.end)}`,
        });
      }
    }
    if (write.thirdParty) continue;
    if (write.transitionsBefore !== null && write.transitionsAfter !== null && write.transitionsAfter < write.transitionsBefore) {
      violations.push({
        invariant: 'transitions',
        at: write.at,
        message: `${by} lowered leaseTransitions from ${write.transitionsBefore} to ${write.transitionsAfter}`,
      });
    }
    if (write.malformed) {
      violations.push({ invariant: 'malformedWrite', at: write.at, message: `${by} wrote a record the store reads as malformed` });
    }
  }

  // One watch delivery: the memory store delivers half a round trip after the commit. The tenure
  // removed is a window whose opening write came before the removal; a later claim of the freed
  // lease is a new tenure.
  const delivery = record.schedule.faults.latency.max / 2 + 1;
  writes.forEach((write, index) => {
    if (!write.thirdParty || !write.holderWatching || !write.holderBefore || write.holderAfter === write.holderBefore) return;
    const deadline = write.at + delivery;
    const late = windows.find(
      (w) => w.identity === write.holderBefore && w.start <= deadline && w.end > deadline && openingWrite(w) < index,
    );
    if (late) {
      violations.push({
        invariant: 'removal',
        at: write.at,
        message: `${late.identity} was removed by another client's write at ${seconds(write.at)} with its watch attached, yet leads until ${seconds(late.end)} (bound ${delivery} ms)`,
      });
    }
  });

  const bound = livenessBound(record);
  if (record.leaderAfterQuiet === undefined || record.leaderAfterQuiet - record.quietAt > bound) {
    violations.push({
      invariant: 'liveness',
      at: record.quietAt,
      message: `no leader within ${seconds(bound)} after faults stopped at ${seconds(record.quietAt)} (first: ${
        record.leaderAfterQuiet === undefined ? 'never' : seconds(record.leaderAfterQuiet)
      })`,
    });
  }

  // Release write, watch delivery, claim; a release that raced its own renew first meets a conflict and reads again.
  const { max } = record.schedule.faults.latency;
  const handOverBound = (window: LeadershipWindow) => 3 * max + 1 + (window.releasedWhileRenewing ? 2 * max : 0);
  // A release hands over only a lease that is still ours: another client's write meanwhile voids it.
  const overwritten = (window: LeadershipWindow) =>
    record.writes.some((w) => w.thirdParty && w.at >= window.start && w.at <= window.end + handOverBound(window));
  for (const released of windows.filter((w) => w.handOverExpected && !overwritten(w))) {
    const next = windows.find((w) => w.start >= released.end);
    if (!next || next.start - released.end > handOverBound(released)) {
      violations.push({
        invariant: 'handOver',
        at: released.end,
        message: `${released.identity} released at ${seconds(released.end)} with a watching candidate, next leader ${
          next ? `only at ${seconds(next.start)}` : 'never'
        } (bound ${handOverBound(released)} ms${released.releasedWhileRenewing ? ', its renew on the wire' : ''})`,
      });
    }
  }

  // The target's watch delivers the hand-over half a round trip after it committed; its renew takes one round trip.
  const targetBound = 1.5 * record.schedule.faults.latency.max + 1;
  const struck = (from: number) => record.disturbances.some((at) => at >= from && at <= from + targetBound);
  for (const handOver of writes.filter((w) => w.targetWatching && !struck(w.at))) {
    const led = windows.find((w) => w.identity === handOver.holderAfter && w.start >= handOver.at);
    if (!led || led.start - handOver.at > targetBound) {
      violations.push({
        invariant: 'handOverTarget',
        at: handOver.at,
        message: `${handOver.by} handed over to ${handOver.holderAfter} (watching) at ${seconds(handOver.at)}, which leads ${
          led ? `only at ${seconds(led.start)}` : 'never'
        } (bound ${targetBound} ms)`,
      });
    }
  }
  return violations;
}
