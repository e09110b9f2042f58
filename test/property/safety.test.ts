/**
 * Property: under any generated schedule of faults (API errors, timeouts after commit, conflicts,
 * latency, partitions, dropped watches, crashes, restarts, releases, in-place upgrades, hand-overs to
 * a chosen target (by call, annotation or preferredHolder; target alive, dead, partitioned, or
 * racing a release), and other
 * clients' writes: forced releases and takeovers, malformed records, odd durations) and clock
 * skew within tolerance, the invariants hold. A failing schedule is shrunk and printed as a timeline.
 * And the checker can fail: each planted bug is caught.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleArbitrary } from '../../src/sim/arbitrary.js';
import { runSimulation, type SimOptions } from '../../src/sim/cluster.js';
import { checkInvariants, type Violation } from '../../src/sim/invariants.js';
import { formatTimeline } from '../../src/sim/timeline.js';
import { plantedBugs } from './plantedBugs.js';

const RUNS = Number(process.env.LEASEHOLD_SIM_RUNS ?? 1000);

class InvariantViolated extends Error {
  constructor(
    readonly violations: Violation[],
    timeline: string,
  ) {
    super(`\n${timeline}`);
  }
}

const holds = (options: SimOptions = {}, onRun: (simulatedMs: number) => void = () => {}) =>
  fc.asyncProperty(scheduleArbitrary(), async (schedule) => {
    const record = await runSimulation(schedule, options);
    onRun(record.end);
    const violations = checkInvariants(record);
    if (violations.length > 0) throw new InvariantViolated(violations, formatTimeline(record, violations));
  });

describe('fault simulation', () => {
  it(`keeps every invariant over ${RUNS} generated schedules`, async () => {
    let simulated = 0;
    const started = performance.now();
    await fc.assert(
      holds({}, (ms) => (simulated += ms)),
      { numRuns: RUNS, seed: 20261124 },
    );
    const hours = simulated / 3_600_000;
    console.log(
      `${RUNS} schedules, ${hours.toFixed(1)} simulated hours, 0 violations, ${(hours / ((performance.now() - started) / 1000)).toFixed(2)} simulated hours per wall second`,
    );
    expect(simulated).toBeGreaterThan(0);
  });

  for (const [bug, { override, expect: expected }] of Object.entries(plantedBugs)) {
    it(`catches a planted bug: ${bug}`, async () => {
      const result = await fc.check(holds({ implementations: override }), { numRuns: 2000, seed: 7, endOnFailure: true });
      expect(result.failed, `the checker missed "${bug}"`).toBe(true);
      const error = result.errorInstance as InvariantViolated;
      expect(error).toBeInstanceOf(InvariantViolated);
      expect(expected).toContain(error.violations[0]!.invariant);
      console.log(`planted bug "${bug}" caught after ${result.numRuns} schedules: ${error.violations[0]!.invariant}`);
    });
  }
});
