/**
 * Decisions per second of RolloutManager.coordinateRollout under concurrent callers: N async loops
 * (one per cluster) interleave through awaited microtasks; every call moves the virtual clock on by
 * `--step` ms so answers mix allowances and waits. Runs each spacing mode for `--seconds` of wall time.
 *
 *   npx tsx bench/rollout.bench.ts [--callers 8] [--seconds 2.5] [--step 100]
 */
import { RolloutManager } from '../src/api/rolloutManager.js';
import { VirtualClock } from '../src/time/virtualClock.js';
import { option, printTable } from './stats.js';

const callers = option('callers', 8);
const measuredSeconds = option('seconds', 2.5);
const step = option('step', 100);

async function measure(spacing: 'global' | 'perCluster', seconds: number) {
  const clock = new VirtualClock();
  const manager = new RolloutManager({ clusterRolloutDelay: 10_000, instanceRolloutDelay: 5_000, spacing, clock });
  const deadline = performance.now() + seconds * 1000;
  let allowed = 0;
  let denied = 0;
  const caller = async (index: number) => {
    const cluster = { namespace: 'bench', name: `pg-${index}` };
    for (let instance = 0; performance.now() < deadline; ) {
      // Checking the wall clock every call would cost more than the call: check every 1,000.
      for (let i = 0; i < 1_000; i++) {
        const decision = manager.coordinateRollout(cluster, `pg-${index}-${instance}`);
        if (decision.rolloutAllowed) {
          allowed++;
          instance++;
        } else {
          denied++;
        }
        clock.stall(step);
        await Promise.resolve(); // let the other callers in
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: callers }, (_, i) => caller(i)));
  const wall = (performance.now() - started) / 1000;
  manager.stop();
  return { spacing, callers, decisions: allowed + denied, allowed, denied, 'wall s': wall.toFixed(2), 'decisions/s': Math.round((allowed + denied) / wall) };
}

console.log(`npx tsx bench/rollout.bench.ts --callers ${callers} --seconds ${measuredSeconds} --step ${step}`);
await measure('perCluster', 0.5); // warm-up: let the JIT compile both paths before measuring
printTable([await measure('global', measuredSeconds), await measure('perCluster', measuredSeconds)]);
