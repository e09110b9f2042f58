/**
 * Property: under any generated schedule of faults (API errors, timeouts after commit, conflicts,
 * latency, partitions, dropped watches, crashes, restarts, releases, in-place upgrades, hand-overs to
 * a chosen target (by call, annotation or preferredHolder; target alive, dead, partitioned, or
 * racing a release), and other
 * clients' writes: forced releases and takeovers, malformed records, odd durations) and clock
 * skew within tolerance, the invariants hold. A failing schedule is shrunk and printed as a timeline.
 * And the checker can fail: each planted bug is caught as the invariant it breaks, within a stated
 * number of schedules, and every invariant has one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleArbitrary } from '../../src/sim/arbitrary.js';
import { runSimulation, type SimOptions } from '../../src/sim/cluster.js';
import { checkInvariants, type InvariantName, type Violation } from '../../src/sim/invariants.js';
import { formatTimeline } from '../../src/sim/timeline.js';
import { plantedBugs } from './plantedBugs.js';

const RUNS = Number(process.env.LEASEHOLD_SIM_RUNS ?? 1000);

class InvariantViolated extends Error {
  constructor(
    readonly violations: Violation[],
    timeline: string,
    /** Every violation of the run, the ones looked for or not. */
    readonly all: Violation[] = violations,
  ) {
    super(`\n${timeline}`);
  }
}

/** Every invariant holds (or, given `only`, that one). */
const holds = (options: SimOptions = {}, onRun: (simulatedMs: number) => void = () => {}, only?: InvariantName) =>
  fc.asyncProperty(scheduleArbitrary(), async (schedule) => {
    const record = await runSimulation(schedule, options);
    onRun(record.end);
    const all = checkInvariants(record);
    const violations = only === undefined ? all : all.filter((violation) => violation.invariant === only);
    if (violations.length > 0) throw new InvariantViolated(violations, formatTimeline(record, violations), all);
  });

const INVARIANTS: InvariantName[] = ['overlap', 'nonHolderWrite', 'transitions', 'malformedWrite', 'removal', 'liveness', 'handOver', 'handOverTarget'];

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

  it('has a planted bug for every invariant it checks', () => {
    expect(new Set(Object.values(plantedBugs).map((bug) => bug.invariant))).toEqual(new Set(INVARIANTS));
  });

  // Each bug is looked for by its own invariant alone: caught means that check fired on it.
  for (const [bug, { override, invariant, within }] of Object.entries(plantedBugs)) {
    it(`catches a planted bug as ${invariant}, within ${within} schedules: ${bug}`, async () => {
      const result = await fc.check(holds({ implementations: override }, undefined, invariant), { numRuns: within, seed: 7, endOnFailure: true });
      expect(result.failed, `the ${invariant} check missed "${bug}" in ${within} schedules`).toBe(true);
      const error = result.errorInstance as InvariantViolated;
      expect(error).toBeInstanceOf(InvariantViolated);
      expect(error.violations.map((violation) => violation.invariant)).toContain(invariant);
      const alongside = [...new Set(error.all.map((violation) => violation.invariant))].filter((name) => name !== invariant);
      console.log(`planted bug "${bug}" caught as ${invariant} after ${result.numRuns} schedules${alongside.length ? ` (that schedule also broke: ${alongside.join(', ')})` : ''}`);
    });
  }
});
