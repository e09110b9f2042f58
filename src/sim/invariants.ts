/**
 * The guarantees of DESIGN.md, checked on a simulated run's record:
 *  1. no two leadership windows overlap (safety);
 *  2. a non-holder never writes over a holder whose window is open;
 *  3. leaseTransitions never decreases;
 *  4. liveness: once faults stop, a leader exists within the bound; after an explicit release with
 *     a watching candidate and no faults, the next leader within one watch delivery and one write.
 */
import type { SimRecord } from './cluster.js';

export type InvariantName = 'overlap' | 'nonHolderWrite' | 'transitions' | 'liveness' | 'handOver';

export interface Violation {
  invariant: InvariantName;
  at: number;
  message: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

/** The longest a leaderless cluster may take to elect once faults stop (see the bound's terms). */
export function livenessBound(record: SimRecord): number {
  const { timing, participants, faults } = record.schedule;
  const slowest = Math.min(...participants.map((p) => p.rate));
  return (
    timing.leaseDuration / slowest + // a candidate waits leaseDuration of its own time after first sight
    2.2 * timing.retryPeriod + // it may first see the lease only at its next (jittered) poll
    1_000 + // or when its watch, or its restarted process, is back
    4 * faults.latency.max // the read that sees it, and the claim
  );
}

export function checkInvariants(record: SimRecord): Violation[] {
  const violations: Violation[] = [];
  const windows = [...record.windows].sort((a, b) => a.start - b.start);

  let widest = windows[0];
  for (const window of windows.slice(1)) {
    if (widest && window.start < widest.end) {
      violations.push({
        invariant: 'overlap',
        at: window.start,
        message: `${window.identity} (process ${window.process}) leads from ${seconds(window.start)} while ${widest.identity} (process ${widest.process}) leads until ${seconds(widest.end)}`,
      });
    }
    if (!widest || window.end > widest.end) widest = window;
  }

  for (const write of record.writes) {
    const { holderBefore, by } = write;
    if (holderBefore && holderBefore !== by && by !== '(test)') {
      const live = windows.find((w) => w.identity === holderBefore && w.start <= write.at && write.at < w.end);
      if (live) {
        violations.push({
          invariant: 'nonHolderWrite',
          at: write.at,
          message: `${by} wrote holder=${JSON.stringify(write.holderAfter)} over ${holderBefore}, who leads until ${seconds(live.end)}`,
        });
      }
    }
    if (write.transitionsBefore !== null && write.transitionsAfter !== null && write.transitionsAfter < write.transitionsBefore) {
      violations.push({
        invariant: 'transitions',
        at: write.at,
        message: `${by} lowered leaseTransitions from ${write.transitionsBefore} to ${write.transitionsAfter}`,
      });
    }
  }

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

  const handOverBound = 3 * record.schedule.faults.latency.max + 1; // release write, watch delivery, claim
  for (const released of windows.filter((w) => w.handOverExpected)) {
    const next = windows.find((w) => w.start >= released.end);
    if (!next || next.start - released.end > handOverBound) {
      violations.push({
        invariant: 'handOver',
        at: released.end,
        message: `${released.identity} released at ${seconds(released.end)} with a watching candidate, next leader ${
          next ? `only at ${seconds(next.start)}` : 'never'
        } (bound ${handOverBound} ms)`,
      });
    }
  }
  return violations;
}
