/**
 * leasehold beside its real peers, each in processes of its own, on the same server in the same
 * run: the leasehold library (test/peers/leaseholdElector.ts on the built package), client-go
 * v0.37.2's tools/leaderelection (test/peers/client-go) and the official Python client's elector
 * (test/peers/python/elector.py), on the embedded server (`leasehold serve` in its own process) and on
 * kube-apiserver v1.37.2 (LEASEHOLD_KUBECONFIG, else the control plane built by `npm run cluster --
 * --build`, started here).
 *
 * - hand-over after release: the leader releases (SIGTERM; client-go with ReleaseOnCancel), a
 *   candidate of the same kind leads; from the release to the takeover, both as the benchmark's own
 *   watch saw them. The Python client cannot release: its column is a Python candidate after a
 *   leasehold leader's release.
 * - crash failover: the leader is SIGKILLed; from its last renew to its successor's takeover (both as
 *   seen), minus leaseDuration.
 *   Both with leaseDuration 2 s, renewDeadline 1.5 s, retryPeriod 1 s for every kind (the Python
 *   client needs a retryPeriod of at least 1 s).
 * - requests per minute of a leader and of a candidate, counted by a proxy in front of each, with the
 *   defaults 15 s / 10 s / 2 s;
 * - CPU (share of one core) and RSS of one process running 100 and 1,000 electors, each on its own
 *   Lease and leading, with the defaults.
 *
 *   npm run build && npx tsx bench/peers.bench.ts [--runs 100] [--steady-seconds 60] [--cpu-seconds 30]
 *     [--electors 100,1000] [--targets embedded,kube-apiserver] [--kinds leasehold,client-go,python]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { cachedControlPlane } from '../test/cluster/binaries.js';
import { type ControlPlane, startControlPlane } from '../test/cluster/controlPlane.js';
import { goPeers, pythonClient } from '../test/peers/build.js';
import { mixedFleet, type PeerKind, type Timing } from '../test/peers/fleet.js';
import { startCountingProxy } from './countingProxy.js';
import { startServerProcess } from './serverProcess.js';
import { ms, option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 100);
const STEADY_SECONDS = option('steady-seconds', 60);
const CPU_SECONDS = option('cpu-seconds', 30);
const list = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return (index >= 0 ? process.argv[index + 1]! : fallback).split(',');
};
const ELECTORS = list('electors', '100,1000').map(Number);
const TARGETS = list('targets', 'embedded,kube-apiserver');
const KIND_NAMES = list('kinds', 'leasehold,client-go,python');

const ROOT = join(import.meta.dirname, '..');
const FAST: Timing = { leaseDuration: '2s', renewDeadline: '1500ms', retryPeriod: '1s' };
const DEFAULTS: Timing = { leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' };

interface Kind {
  name: string;
  kind: PeerKind;
  /** Who releases in the hand-over runs: the kind itself where it can. */
  releaser: PeerKind;
}
const KINDS: Kind[] = (
  [
    { name: 'leasehold', kind: 'leasehold library', releaser: 'leasehold library' },
    { name: 'client-go', kind: 'client-go', releaser: 'client-go' },
    { name: 'python', kind: 'python', releaser: 'leasehold library' },
  ] as const
).filter((kind) => KIND_NAMES.includes(kind.name));

const log = (line: string) => console.error(line);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `runs` hand-overs (release) or failovers (crash) between peers of one kind; milliseconds each. */
async function handOvers(kubeconfig: string, kind: Kind, crash: boolean): Promise<number[]> {
  const fleet = await mixedFleet('real', `bench-${crash ? 'crash' : 'release'}-${kind.name}`, { kubeconfig });
  const results: number[] = [];
  let n = 0;
  const start = (peerKind: PeerKind) => fleet.start(peerKind, { identity: `${peerKind.replace(' ', '-')}-${n++}`, timing: FAST, releaseOnCancel: true, direct: true });
  try {
    let leader = await start(crash ? kind.kind : kind.releaser);
    await fleet.whenLease((version) => version.spec.holderIdentity === leader.identity);
    for (let run = 0; run < RUNS; run++) {
      const candidate = await start(kind.kind);
      await candidate.waiting();
      const mark = fleet.history.length;
      leader.signal(crash ? 'SIGKILL' : 'SIGTERM');
      const takeover = await fleet.whenLease((version) => version.spec.holderIdentity === candidate.identity, mark);
      const before = fleet.history.slice(0, fleet.history.indexOf(takeover));
      if (crash) {
        const lastRenew = before.findLast((version) => version.spec.holderIdentity === leader.identity)!;
        results.push((takeover.seenMonoNs - lastRenew.seenMonoNs) / 1e6 - (lastRenew.spec.leaseDurationSeconds ?? 0) * 1000);
      } else {
        const released = before.slice(mark).find((version) => version.spec.holderIdentity === '');
        if (!released) throw new Error(`${leader.identity} did not release before ${candidate.identity} led:\n${fleet.report()}`);
        results.push((takeover.seenMonoNs - released.seenMonoNs) / 1e6);
      }
      await leader.exited;
      if (!crash && kind.kind !== kind.releaser) {
        // A Python leader cannot release: end it, and let a new releaser take the lease after it expires.
        candidate.signal('SIGKILL');
        await candidate.exited;
        const mark = fleet.history.length;
        leader = await start(kind.releaser);
        await fleet.whenLease((version) => version.spec.holderIdentity === leader.identity, mark);
      } else {
        leader = candidate;
      }
      if ((run + 1) % 20 === 0) log(`  ${kind.name} ${crash ? 'crash' : 'release'}: ${run + 1} of ${RUNS}`);
    }
    return results;
  } finally {
    await fleet.close();
  }
}

/** Requests per minute of a leader and of a candidate of one kind, each counted by a proxy of its own. */
async function requestRates(kubeconfig: string, kind: Kind) {
  const fleet = await mixedFleet('real', `bench-steady-${kind.name}`, { kubeconfig });
  const base = readFileSync(kubeconfig, 'utf8');
  const proxies = { leader: await startCountingProxy(base), candidate: await startCountingProxy(base) };
  try {
    const configFor = (who: 'leader' | 'candidate') => {
      const file = join(fleet.dir, `kubeconfig-counted-${who}`);
      writeFileSync(file, proxies[who].kubeconfigFor(base));
      return file;
    };
    const leader = await fleet.start(kind.kind, { identity: 'steady-leader', timing: DEFAULTS, kubeconfig: configFor('leader') });
    await fleet.whenLease((version) => version.spec.holderIdentity === leader.identity);
    const candidate = await fleet.start(kind.kind, { identity: 'steady-candidate', timing: DEFAULTS, kubeconfig: configFor('candidate') });
    await candidate.waiting();
    proxies.leader.reset();
    proxies.candidate.reset();
    await wait(STEADY_SECONDS * 1000);
    const perMinute = (counts: Record<string, number>) => {
      const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
      const verbs = Object.entries(counts).map(([verb, count]) => `${(count * 60) / STEADY_SECONDS} ${verb}`);
      return `${(total * 60) / STEADY_SECONDS} (${verbs.join(', ') || 'none'})`;
    };
    return { leader: perMinute(proxies.leader.counts()), candidate: perMinute(proxies.candidate.counts()) };
  } finally {
    await fleet.close();
    await proxies.leader.close();
    await proxies.candidate.close();
  }
}

/** /proc/PID/stat utime + stime in seconds, and VmRSS in MiB. */
function usage(pid: number): { cpuSeconds: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { cpuSeconds: ticks / 100, rssMiB: rss / 1024 };
}

/** CPU and RSS of one process running `count` electors of one kind, each leading its own Lease. */
async function footprint(kubeconfig: string, kind: Kind, count: number) {
  const lease = `fp-${kind.name}-${count}-${Date.now() % 100_000}`;
  const go = kind.kind === 'client-go' ? await goPeers() : undefined;
  const python = kind.kind === 'python' ? await pythonClient() : undefined;
  const common = ['--kubeconfig', kubeconfig, '--lease', lease, '--identity', 'fp', '--electors', String(count)];
  const durations = ['--lease-duration', DEFAULTS.leaseDuration, '--renew-deadline', DEFAULTS.renewDeadline, '--retry-period', DEFAULTS.retryPeriod];
  const [command, args] = ((): [string, string[]] => {
    if (go) return [go.elector, [...common, ...durations]];
    if (python) return [python.python, [join(ROOT, 'test/peers/python/elector.py'), ...common, '--lease-duration', '15', '--renew-deadline', '10', '--retry-period', '2']];
    return [process.execPath, ['--no-warnings', join(ROOT, 'test/peers/leaseholdElector.ts'), ...common, ...durations]];
  })();
  const child: ChildProcess = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  let started = 0;
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    started += lines.filter((line) => line.includes('"event": "started"') || line.includes('"event":"started"')).length;
  });
  try {
    const giveUp = performance.now() + 300_000;
    while (started < count && performance.now() < giveUp) await wait(100);
    const leading = started;
    await wait(5_000); // past the start-up burst
    const before = usage(child.pid!);
    await wait(CPU_SECONDS * 1000);
    const after = usage(child.pid!);
    return { leading, cpu: `${(((after.cpuSeconds - before.cpuSeconds) / CPU_SECONDS) * 100).toFixed(1)} %`, rss: `${after.rssMiB.toFixed(0)} MiB` };
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfig);
    const api = kubeConfig.makeApiClient(CoordinationV1Api);
    for (let i = 0; i < count; i++) await api.deleteNamespacedLease({ name: `${lease}-${i}`, namespace: 'default' }).catch(() => undefined);
  }
}

async function benchTarget(target: string, kubeconfig: string): Promise<void> {
  log(`== ${target}: hand-over and failover (${RUNS} runs each, lease 2 s / 1.5 s / 1 s)`);
  const latency: Record<string, string | number>[] = [];
  for (const kind of KINDS) {
    for (const crash of [false, true]) {
      log(`measuring ${kind.name} ${crash ? 'crash failover' : 'hand-over after release'}...`);
      const values = await handOvers(kubeconfig, kind, crash);
      latency.push({
        what: crash ? 'crash failover - leaseDuration' : 'hand-over after release',
        who: kind.name === 'python' && !crash ? 'python (candidate; a leasehold leader releases)' : kind.name,
        p50: ms(percentile(values, 50)),
        p99: ms(percentile(values, 99)),
        max: ms(Math.max(...values)),
        runs: values.length,
      });
    }
  }
  log(`== ${target}: requests per minute over ${STEADY_SECONDS} s (15 s / 10 s / 2 s)`);
  const rates: Record<string, string | number>[] = [];
  for (const kind of KINDS) {
    log(`measuring ${kind.name} request rates...`);
    rates.push({ who: kind.name, ...(await requestRates(kubeconfig, kind)) });
  }
  log(`== ${target}: CPU and RSS of one process with N electors (15 s / 10 s / 2 s), over ${CPU_SECONDS} s`);
  const costs: Record<string, string | number>[] = [];
  for (const count of ELECTORS) {
    for (const kind of KINDS) {
      log(`measuring ${count} ${kind.name} electors...`);
      costs.push({ who: kind.name, electors: count, ...(await footprint(kubeconfig, kind, count)) });
    }
  }
  console.log(`\n### ${target}\n`);
  printTable(latency);
  console.log('');
  printTable(rates);
  console.log('');
  printTable(costs);
}

const uptime = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
log(`load average before: ${uptime()}`);
const scratch = mkdtempSync(join(tmpdir(), 'leasehold-peers-bench-'));
try {
  if (TARGETS.includes('embedded')) {
    const server = await startServerProcess();
    const kubeconfig = join(scratch, 'embedded.kubeconfig');
    writeFileSync(kubeconfig, readFileSync(`/tmp/leasehold-bench-${new URL(server.url).port}.kubeconfig`, 'utf8'));
    try {
      await benchTarget('embedded server (leasehold serve, its own process)', kubeconfig);
    } finally {
      await server.stop();
    }
  }
  if (TARGETS.includes('kube-apiserver')) {
    let controlPlane: ControlPlane | undefined;
    let kubeconfig = process.env.LEASEHOLD_KUBECONFIG;
    if (!kubeconfig) {
      const binaries = cachedControlPlane();
      if (!binaries) throw new Error('kube-apiserver: set LEASEHOLD_KUBECONFIG, or build the control plane first (npm run cluster -- --build)');
      controlPlane = await startControlPlane({ binaries, log });
      kubeconfig = controlPlane.kubeconfig;
    }
    try {
      await benchTarget('kube-apiserver v1.37.2', kubeconfig);
    } finally {
      await controlPlane?.stop();
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
log(`load average after: ${uptime()}`);
