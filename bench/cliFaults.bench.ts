/**
 * `leasehold run` under faults, measured from outside: two sidecars A (leading) and B (waiting)
 * guard a CMD that writes its pid file; an observer samples /proc every 2 ms and sums the time two
 * CMDs were alive at once (overlap). Then hand-over (A's CMD exits -> B's CMD alive) and crash
 * failover (A SIGKILLed -> B's CMD alive) over `--runs` rounds through the CLI.
 *
 *   npx tsx bench/cliFaults.bench.ts [--runs 20] [--only overlap|failover] [--cli "node path/to/main.js"]
 *
 * --cli runs another build (e.g. an older one, for a before/after comparison); default: dist/ on
 * this Node (run `npm run build` first). Overlap that lasts to the end of the observation window
 * is printed with ">=": the CMDs were still running side by side when the scenario gave up.
 */
import type { CoordinationV1Api } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultProxy } from '../test/support/faultProxy.js';
import { commands, FAST_TIMING, type Fleet, processGroup, type Runner, sleep, startFleet, startRunner } from '../test/support/sidecar.js';
import { BUILT_CLI } from '../test/support/cli.js';
import { kubeConfigFor } from '../src/server/kubeconfig.js';
import { ms, option, percentile, printTable } from './stats.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const cli = flag('cli')?.split(' ') ?? [process.execPath, BUILT_CLI];
const only = flag('only');
const RUNS = option('runs', 20);
/** How long a scenario watches after B's CMD started (or after the fault, if B never starts). */
const OBSERVE_MS = 3_000;

interface Outcome {
  overlap: number;
  /** Both were still alive when observation ended: the overlap had no end. */
  unbounded: boolean;
  note: string;
}

/** The lease's renewTime as last written, polled (the bench's own view, from outside). */
async function nextRenew(api: CoordinationV1Api, after: number): Promise<number> {
  for (;;) {
    const lease = await api.readNamespacedLease({ namespace: 'default', name: 'job' });
    const renew = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
    if (renew > after) return renew;
    await sleep(5);
  }
}

async function scenario(
  name: string,
  command: readonly string[],
  fault: (fleet: Fleet, a: Runner) => Promise<string | void>,
  { flags = FAST_TIMING, kubeconfigA }: { flags?: string[]; kubeconfigA?: (fleet: Fleet) => Promise<string> } = {},
): Promise<Outcome & { name: string }> {
  const fleet = await startFleet();
  try {
    const a = startRunner(fleet, { identity: 'a', command, flags, cli, ...(kubeconfigA ? { kubeconfig: await kubeconfigA(fleet) } : {}) });
    await fleet.observer.whenAlive('a');
    startRunner(fleet, { identity: 'b', command, flags, cli });
    await sleep(1_000); // B has read and is watching the lease
    const note = (await fault(fleet, a)) ?? '';
    const started = await Promise.race([fleet.observer.whenAlive('b').then(() => true), sleep(15_000).then(() => false)]);
    await sleep(OBSERVE_MS);
    const { observer } = fleet;
    const unbounded = started && observer.alive('a') && observer.alive('b');
    return { name, overlap: observer.overlapMs, unbounded, note: started ? note : `${note} B never started`.trim() };
  } finally {
    await fleet.close();
  }
}

const cmdGroupOf = (fleet: Fleet, identity: string) => processGroup(fleet.observer.lives.get(identity)!.pid)!;

async function overlaps() {
  const results = [];
  results.push(await scenario('A gets SIGTERM, CMD a nested shell', commands.nestedShell, async (_fleet, a) => a.signal('SIGTERM')));
  results.push(await scenario('A killed -9', commands.worker, async (_fleet, a) => a.signal('SIGKILL')));
  results.push(await scenario('A killed -9, CMD a nested shell', commands.nestedShell, async (_fleet, a) => a.signal('SIGKILL')));
  results.push(
    await scenario('A cut off from the API, CMD ignores SIGTERM', commands.termIgnoring, async () => {}, {
      kubeconfigA: async (fleet) => {
        const proxy = await startFaultProxy(fleet.server.url);
        const file = join(fleet.dir, 'kubeconfig-a');
        writeFileSync(file, kubeConfigFor(proxy.url));
        // Cut A off once it leads: every request hangs, its watch ends.
        void fleet.observer.whenAlive('a').then(() => {
          proxy.faults = () => 'hold';
          proxy.cut();
        });
        return file;
      },
    }),
  );
  // Lease 6 s, renew deadline 2 s, grace 2 s: A's SIGKILL is due 4 s after its last renew, B may
  // lead 6 s after it. A and its CMD are paused from a renew until 4.5 s after it (as the test).
  const pausedTiming = ['--lease-duration', '6s', '--renew-deadline', '2s', '--retry-period', '500ms', '--grace-period', '2s'];
  results.push(
    await scenario(
      'A and CMD paused together 4.5 s (past the SIGKILL deadline), CMD ignores SIGTERM',
      commands.termIgnoring,
      async (fleet, a) => {
        const renew = await nextRenew(fleet.api, Date.now());
        const group = cmdGroupOf(fleet, 'a');
        a.signal('SIGSTOP', 'group');
        process.kill(-group, 'SIGSTOP');
        await sleep(renew + 4_500 - Date.now());
        process.kill(-group, 'SIGCONT');
        a.signal('SIGCONT', 'group');
        return `paused ${Date.now() - renew} ms after the renew`;
      },
      { flags: pausedTiming },
    ),
  );
  results.push(
    await scenario('A alone SIGSTOPped until 0.5 s after B started (outside any sidecar\'s reach)', commands.worker, async (fleet, a) => {
      a.signal('SIGSTOP');
      void fleet.observer.whenAlive('b').then(async () => {
        await sleep(500);
        a.signal('SIGCONT');
      });
    }),
  );
  results.push(
    await scenario('A\'s process group SIGSTOPped until 0.5 s after B started', commands.worker, async (fleet, a) => {
      a.signal('SIGSTOP', 'group');
      void fleet.observer.whenAlive('b').then(async () => {
        await sleep(500);
        a.signal('SIGCONT', 'group');
      });
    }),
  );
  printTable(results.map((r) => ({ case: r.name, overlap: r.unbounded ? `>= ${ms(r.overlap)} (unbounded)` : ms(r.overlap), note: r.note })));
}

/** B's CMD alive after A's CMD ended (hand-over) or A was SIGKILLed (failover), per round. */
async function failovers() {
  const handOver: number[] = [];
  const failover: number[] = [];
  for (let round = 0; round < RUNS; round++) {
    for (const kind of ['hand-over', 'failover'] as const) {
      const fleet = await startFleet();
      try {
        const a = startRunner(fleet, { identity: 'a', command: commands.worker, cli });
        const life = await fleet.observer.whenAlive('a');
        startRunner(fleet, { identity: 'b', command: commands.worker, cli });
        await sleep(1_000);
        const from = performance.now();
        if (kind === 'hand-over') process.kill(life.pid, 'SIGTERM'); // CMD exits by itself: A releases
        else a.signal('SIGKILL');
        const b = await fleet.observer.whenAlive('b');
        (kind === 'hand-over' ? handOver : failover).push(b.firstAlive - from);
      } finally {
        await fleet.close();
      }
    }
  }
  printTable([
    { what: 'hand-over (A\'s CMD exits -> B\'s CMD alive)', p50: ms(percentile(handOver, 50)), p99: ms(percentile(handOver, 99)), runs: handOver.length },
    { what: 'crash failover (A SIGKILLed -> B\'s CMD alive)', p50: ms(percentile(failover, 50)), p99: ms(percentile(failover, 99)), runs: failover.length },
  ]);
  console.log(`lease 2 s, renew deadline 1.5 s, retry 0.5 s; CLI: ${cli.join(' ')}`);
}

if (only !== 'failover') await overlaps();
if (only !== 'overlap') await failovers();
process.exit(0);
