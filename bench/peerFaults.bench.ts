/**
 * Overlap and failover per fault kind in a mixed fleet: a leader of one kind and a candidate of the
 * other side on one Lease, one fault on the leader, judged from the shared effects file (the same
 * machinery as test/peers/). Kinds: client-go (with and without ReleaseOnCancel), `leasehold run`,
 * the leasehold library, and the official Python client (documented, outside every zero-overlap
 * claim). Faults: release (SIGTERM), SIGKILL, a paused pod that wakes before leaseDuration is up
 * (2.5 s), one that wakes after it (6 s), and a black hole of 8 s. Lease 4 s, renew deadline
 * 1.5 s, retry period 0.5 s (1 s for Python, its minimum); and client-go with its defaults 15 s /
 * 10 s / 2 s and ReleaseOnCancel under a black hole of 20 s.
 *
 *   npm run build && npx tsx bench/peerFaults.bench.ts [--runs 3] [--targets embedded,kube-apiserver]
 *
 * overlap: how far the leader's last effect reaches past the successor's first (0 when it ends
 * before); failover: from the leader's last effect to the successor's first; "kept": the leader led
 * on and no successor acted.
 */
import { readFileSync } from 'node:fs';
import { cachedControlPlane } from '../test/cluster/binaries.js';
import { type ControlPlane, startControlPlane } from '../test/cluster/controlPlane.js';
import { overlapsOf } from '../test/peers/effects.js';
import { MIXED_TIMING, type MixedFleet, mixedFleet, type Peer, type PeerKind, type Timing } from '../test/peers/fleet.js';
import { option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 3);
const targetsIndex = process.argv.indexOf('--targets');
const TARGETS = (targetsIndex >= 0 ? process.argv[targetsIndex + 1]! : 'embedded,kube-apiserver').split(',');

const PYTHON_TIMING: Timing = { ...MIXED_TIMING, retryPeriod: '1s' };
const DEFAULTS: Timing = { leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' };

interface Leader {
  name: string;
  kind: PeerKind;
  releaseOnCancel: boolean;
  timing: Timing;
  successor: PeerKind;
}
const LEADERS: Leader[] = [
  { name: 'client-go', kind: 'client-go', releaseOnCancel: false, timing: MIXED_TIMING, successor: 'leasehold library' },
  { name: 'client-go, ReleaseOnCancel', kind: 'client-go', releaseOnCancel: true, timing: MIXED_TIMING, successor: 'leasehold library' },
  { name: 'leasehold run', kind: 'leasehold run', releaseOnCancel: true, timing: MIXED_TIMING, successor: 'client-go' },
  { name: 'leasehold library', kind: 'leasehold library', releaseOnCancel: true, timing: MIXED_TIMING, successor: 'client-go' },
  { name: 'Python', kind: 'python', releaseOnCancel: false, timing: PYTHON_TIMING, successor: 'leasehold library' },
];

interface Fault {
  name: string;
  apply(leader: Peer): Promise<void>;
}
/** The fault's duration: waiting on the real clock is the fault itself, not a synchronisation. */
const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const paused = (ms: number): Fault => ({
  name: `paused ${ms / 1000} s`,
  apply: async (leader) => {
    leader.pause();
    await hold(ms);
    leader.resume();
  },
});
const blackHole = (ms: number): Fault => ({
  name: `black hole ${ms / 1000} s`,
  apply: async (leader) => {
    leader.proxy.blackhole(true);
    await hold(ms);
    leader.proxy.blackhole(false);
  },
});
const FAULTS: Fault[] = [
  { name: 'release (SIGTERM)', apply: async (leader) => leader.signal('SIGTERM') },
  { name: 'SIGKILL', apply: async (leader) => leader.signal('SIGKILL') },
  paused(2_500),
  paused(6_000),
  blackHole(8_000),
];

interface Outcome {
  overlapMs: number;
  failoverMs: number | null;
}

async function once(target: 'embedded' | 'real', kubeconfig: string | undefined, leaderKind: Leader, fault: Fault): Promise<Outcome> {
  const fleet: MixedFleet = await mixedFleet(target, 'faults', kubeconfig ? { kubeconfig } : {});
  try {
    const leader = await fleet.start(leaderKind.kind, { identity: 'leader', releaseOnCancel: leaderKind.releaseOnCancel, timing: leaderKind.timing });
    await fleet.whenActing('leader');
    const successor = await fleet.start(leaderKind.successor, { identity: 'successor', releaseOnCancel: true, timing: leaderKind.successor === 'python' ? PYTHON_TIMING : MIXED_TIMING });
    await successor.waiting();
    // A random phase of the renew cycle: some time after a renew was seen.
    await fleet.whenLease((version) => version.spec.holderIdentity === 'leader', fleet.history.length);
    await hold(Math.random() * 500);
    await fault.apply(leader);
    const leaseMs = Number(/^(\d+)s$/.exec(leaderKind.timing.leaseDuration)![1]) * 1000;
    const giveUp = performance.now() + leaseMs + 4_000;
    while (performance.now() < giveUp && !fleet.effects().some((effect) => effect.who === 'successor')) await hold(20);
    await hold(2_000); // whatever the leader still does after the successor began
    const tenures = fleet.tenures();
    const overlapMs = Math.max(0, ...overlapsOf(tenures).map((overlap) => overlap.ms));
    const first = tenures.find((tenure) => tenure.who === 'successor');
    if (!first) return { overlapMs, failoverMs: null };
    const lastOfLeader = Math.max(...tenures.filter((tenure) => tenure.who === 'leader' && tenure.first.index < first.first.index).map((tenure) => tenure.last.monoNs));
    return { overlapMs, failoverMs: Math.max(0, (first.first.monoNs - lastOfLeader) / 1e6) };
  } finally {
    await fleet.close();
  }
}

async function benchTarget(title: string, target: 'embedded' | 'real', kubeconfig?: string): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const scenarios: [Leader, Fault][] = LEADERS.flatMap((leader) => FAULTS.map((fault): [Leader, Fault] => [leader, fault]));
  scenarios.push([{ name: 'client-go, ReleaseOnCancel, 15 s / 10 s / 2 s', kind: 'client-go', releaseOnCancel: true, timing: DEFAULTS, successor: 'leasehold library' }, blackHole(20_000)]);
  for (const [leader, fault] of scenarios) {
    console.error(`${title}: ${leader.name}, ${fault.name}...`);
    const outcomes: Outcome[] = [];
    for (let run = 0; run < RUNS; run++) outcomes.push(await once(target, kubeconfig, leader, fault));
    const failovers = outcomes.flatMap((outcome) => (outcome.failoverMs === null ? [] : [outcome.failoverMs]));
    const overlapping = outcomes.filter((outcome) => outcome.overlapMs > 0);
    rows.push({
      leader: leader.name,
      fault: fault.name,
      runs: outcomes.length,
      'runs with overlap': overlapping.length,
      'overlap max': overlapping.length ? `${Math.max(...overlapping.map((outcome) => outcome.overlapMs)).toFixed(0)} ms` : '0',
      'failover p50': failovers.length ? `${percentile(failovers, 50).toFixed(0)} ms` : '-',
      'failover max': failovers.length ? `${Math.max(...failovers).toFixed(0)} ms` : '-',
      kept: outcomes.length - failovers.length,
    });
  }
  console.log(`\n### ${title}\n`);
  printTable(rows);
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.error(`load average before: ${load()}`);
if (TARGETS.includes('embedded')) await benchTarget('embedded server', 'embedded');
if (TARGETS.includes('kube-apiserver')) {
  let controlPlane: ControlPlane | undefined;
  let kubeconfig = process.env.LEASEHOLD_KUBECONFIG;
  if (!kubeconfig) {
    const binaries = cachedControlPlane();
    if (!binaries) throw new Error('kube-apiserver: set LEASEHOLD_KUBECONFIG, or build the control plane first (npm run cluster -- --build)');
    controlPlane = await startControlPlane({ binaries, log: (line) => console.error(line) });
    kubeconfig = controlPlane.kubeconfig;
  }
  try {
    await benchTarget('kube-apiserver v1.37.2', 'real', kubeconfig);
  } finally {
    await controlPlane?.stop();
  }
}
console.error(`load average after: ${load()}`);
