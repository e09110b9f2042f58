/**
 * The fault simulation at scale: `npm run soak -- --runs N [--seed S] [--workers W]` runs N
 * generated schedules, checks every invariant after each, prints progress, and ends with schedules
 * per second and simulated hours per wall second, in total and per worker (per second of its wall
 * time and of its thread's CPU time: on a shared machine the two differ). Exits 1 with the shrunk
 * schedule's timeline on a violation.
 *
 * W worker threads (default: one per core) share the work without changing it: each generates the
 * same seeded sequence of N schedules (same arbitrary, same seed) and simulates every W-th of them,
 * starting at its own index. A worker that finds a violation lets fast-check shrink it there; the
 * run reports the earliest failing schedule's, which is the one a single thread would have found.
 */
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { scheduleArbitrary } from '../src/sim/arbitrary.js';
import { runSimulation } from '../src/sim/cluster.js';
import { checkInvariants } from '../src/sim/invariants.js';
import { formatTimeline } from '../src/sim/timeline.js';
import { option } from './stats.js';

interface Share {
  runs: number;
  seed: number;
  /** This share's index among `workers`: it simulates schedules index, index + workers, ... */
  index: number;
  workers: number;
}

/** What a share reports: progress while it runs (done false), at its first failure, then its result. */
interface ShareReport {
  runs: number;
  simulatedMs: number;
  wallMs: number;
  /** CPU time of the thread that ran the share: what its speed would be on a core of its own. */
  cpuMs: number;
  done: boolean;
  /** Position in the generated sequence of the first schedule that failed, if one did. */
  failedAt?: number;
  /** The shrunk schedule's timeline with its violations. */
  failure?: string;
}

const PROGRESS_EVERY = 100;

/** The earliest failing position another share reported: schedules after it need no simulating. */
let failedElsewhereAt = Number.POSITIVE_INFINITY;

async function simulateShare(share: Share, report: (progress: ShareReport) => void): Promise<void> {
  const started = performance.now();
  const startedCpu = process.threadCpuUsage();
  let generated = 0;
  let runs = 0;
  let simulatedMs = 0;
  let failedAt: number | undefined;
  let failure = '';
  const progress = (done: boolean): ShareReport => {
    const cpu = process.threadCpuUsage(startedCpu);
    return { runs, simulatedMs, wallMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, done };
  };
  await fc.check(
    fc.asyncProperty(scheduleArbitrary(), async (schedule) => {
      const position = generated++;
      // An earlier schedule failed in another share: that one is reported, this one (or its shrinking) is moot.
      if ((failedAt ?? position) > failedElsewhereAt) return true;
      const shrinking = failedAt !== undefined; // fast-check now tries smaller versions of the failure
      if (!shrinking && position % share.workers !== share.index) return true;
      // The timeline of a violation, or what the simulation threw; undefined when the run held.
      const verdict = await runSimulation(schedule)
        .then((record) => {
          if (!shrinking) {
            runs++;
            simulatedMs += record.end;
            if (runs % PROGRESS_EVERY === 0) report(progress(false));
          }
          const violations = checkInvariants(record);
          return violations.length === 0 ? undefined : formatTimeline(record, violations);
        })
        .catch((error: unknown) => `the simulation threw: ${error instanceof Error ? error.stack : String(error)}`);
      if (verdict === undefined) return true;
      if (failedAt === undefined) {
        failedAt = position;
        report({ ...progress(false), failedAt });
      }
      failure = verdict;
      return false;
    }),
    { numRuns: share.runs, seed: share.seed },
  );
  report({ ...progress(true), ...(failedAt === undefined ? {} : { failedAt, failure }) });
}

const hoursPerSecond = (simulatedMs: number, wallMs: number) => simulatedMs / 3_600_000 / (wallMs / 1000);

async function main(): Promise<void> {
  const runs = option('runs', 10_000);
  const seed = option('seed', Date.now() % 2 ** 31);
  const workers = option('workers', availableParallelism());
  const started = performance.now();
  const shares: ShareReport[] = Array.from({ length: workers }, () => ({ runs: 0, simulatedMs: 0, wallMs: 0, cpuMs: 0, done: false }));
  let printedThousands = 0;

  const summary = () => {
    const wall = (performance.now() - started) / 1000;
    const total = shares.reduce((sum, s) => ({ runs: sum.runs + s.runs, simulatedMs: sum.simulatedMs + s.simulatedMs }), { runs: 0, simulatedMs: 0 });
    const hours = total.simulatedMs / 3_600_000;
    const speed = hoursPerSecond(total.simulatedMs, wall * 1000);
    return `${total.runs} schedules in ${wall.toFixed(1)} s on ${workers} worker${workers === 1 ? '' : 's'}: ${(total.runs / wall).toFixed(1)} schedules/s, ${hours.toFixed(1)} simulated hours, ${speed.toFixed(2)} simulated hours per wall second`;
  };
  const workerThreads: Worker[] = [];
  const received = (index: number, report: ShareReport) => {
    shares[index] = report;
    if (report.failedAt !== undefined && !report.done) for (const worker of workerThreads) worker.postMessage(report.failedAt);
    const thousands = Math.floor(shares.reduce((sum, s) => sum + s.runs, 0) / 1000);
    if (thousands > printedThousands) {
      printedThousands = thousands;
      console.log(summary());
    }
  };

  const simulations = shares.map((_, index) => {
    const share: Share = { runs, seed, index, workers };
    if (workers === 1) return simulateShare(share, (report) => received(index, report));
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: share });
      workerThreads.push(worker);
      worker.on('message', (report: ShareReport) => received(index, report));
      worker.on('error', reject);
      worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`soak worker ${index} exited with ${code}`))));
    });
  });
  await Promise.all(simulations);

  console.log(`seed ${seed}: ${summary()}`);
  const perWorker = (seconds: (s: ShareReport) => number) => shares.map((s) => hoursPerSecond(s.simulatedMs, seconds(s)).toFixed(2)).join(', ');
  console.log(
    `per worker, simulated hours per second: ${perWorker((s) => s.wallMs)} of its wall time, ${perWorker((s) => s.cpuMs)} of its CPU time`,
  );
  const failed = shares.filter((s) => s.failedAt !== undefined).sort((a, b) => a.failedAt! - b.failedAt!)[0];
  if (failed) {
    console.log(`VIOLATION after shrinking (schedule ${failed.failedAt! + 1} of the seed's sequence):\n${failed.failure}`);
    process.exit(1);
  }
  console.log('violations: 0');
  process.exit(0);
}

if (isMainThread) await main();
else {
  parentPort!.on('message', (failedAt: number) => (failedElsewhereAt = Math.min(failedElsewhereAt, failedAt)));
  await simulateShare(workerData as Share, (report) => parentPort!.postMessage(report));
  parentPort!.close();
}
