/** A readable account of a simulated run: who did what when, on true time and on their own clock. */
import type { SimRecord } from './record.js';
import type { Violation } from './invariants.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(3).padStart(8)}s`;

export function formatTimeline(record: SimRecord, violations: readonly Violation[] = []): string {
  const { schedule } = record;
  const lines = [
    `seed ${schedule.seed}; lease ${schedule.timing.leaseDuration} ms, renew deadline ${schedule.timing.renewDeadline} ms, retry ${schedule.timing.retryPeriod} ms`,
    `faults: 5xx ${schedule.faults.unavailableRate}, timeout after commit ${schedule.faults.timeoutAfterCommitRate}, 409 ${schedule.faults.conflictRate}, latency ${schedule.faults.latency.min}-${schedule.faults.latency.max} ms`,
    ...schedule.participants.map((p) => `  ${p.identity}: ${p.kind}, clock offset ${p.offset} ms, rate ${p.rate}`),
    '     true time   (own clock)  who        what',
    ...record.timeline.map(
      (entry) =>
        `  ${seconds(entry.at)}  ${entry.localAt === undefined ? ' '.repeat(12) : `(${seconds(entry.localAt)})`.padEnd(12)}  ${entry.who.padEnd(9)}  ${entry.what}`,
    ),
    ...violations.map((v) => `VIOLATION ${v.invariant} at ${seconds(v.at)}: ${v.message}`),
  ];
  return lines.join('\n');
}
