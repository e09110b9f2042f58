/**
 * The fault simulation at scale: `npm run soak -- --runs N [--seed S]` runs N generated schedules,
 * checks every invariant after each, prints progress, and ends with schedules per second and
 * simulated hours per wall second. Exits 1 with the shrunk schedule's timeline on a violation.
 */
import fc from 'fast-check';
import { scheduleArbitrary } from '../src/sim/arbitrary.js';
import { runSimulation } from '../src/sim/cluster.js';
import { checkInvariants } from '../src/sim/invariants.js';
import { formatTimeline } from '../src/sim/timeline.js';
import { option } from './stats.js';

const RUNS = option('runs', 10_000);
const SEED = option('seed', Date.now() % 2 ** 31);
const started = performance.now();
let runs = 0;
let simulatedMs = 0;
let failure = '';

const report = () => {
  const wall = (performance.now() - started) / 1000;
  const hours = simulatedMs / 3_600_000;
  return `${runs} schedules in ${wall.toFixed(1)} s: ${(runs / wall).toFixed(1)} schedules/s, ${hours.toFixed(1)} simulated hours, ${(hours / wall).toFixed(2)} simulated hours per wall second`;
};

const result = await fc.check(
  fc.asyncProperty(scheduleArbitrary(), async (schedule) => {
    const record = await runSimulation(schedule);
    runs++;
    simulatedMs += record.end;
    if (runs % 1000 === 0) console.log(report());
    const violations = checkInvariants(record);
    if (violations.length > 0) {
      failure = formatTimeline(record, violations);
      return false;
    }
    return true;
  }),
  { numRuns: RUNS, seed: SEED },
);

console.log(`seed ${SEED}: ${report()}`);
if (result.failed) {
  console.log(`VIOLATION after shrinking:\n${failure}`);
  process.exit(1);
}
console.log('violations: 0');
process.exit(0);
