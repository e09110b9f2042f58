/**
 * Switchover to a chosen successor, measured two ways:
 *
 * 1. Over HTTP (embedded server, KubernetesLeaseLock on @kubernetes/client-node, real time): three
 *    PrimaryLeases watch one lease; per round the leader either hands the lease to a chosen one
 *    (`handOver(to)`: time from the call to the target leading, as its own state says) or releases
 *    it (time from `release()` to whichever other candidate leads first: release-then-race).
 *    Rounds alternate between the two, on the same lease and timing.
 * 2. Through the CLI: three `leasehold run` members (the built bin), member-1 leading; time from
 *    invoking `leasehold handover --to member-2` to member-2's CMD being alive (seen in /proc), and
 *    to the command's exit; and from its "request written" line to that CMD (the hand-over without
 *    the command's own start-up). A fresh server and fleet per round.
 *
 *   npx tsx bench/switchover.bench.ts [--runs 100] [--cli-runs 20] [--only http|cli]
 *
 * The CLI part runs dist/ (`npm run build` first).
 */
import { execFileSync } from 'node:child_process';
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { PrimaryLease } from '../src/api/primaryLease.js';
import type { LeaseRef } from '../src/lease/record.js';
import { lockRecordToLeaseSpec } from '../src/lease/spec.js';
import { KubernetesLeaseLocks } from '../src/kubernetes/leaseLock.js';
import { startLeaseApiServer } from '../src/server/index.js';
import { realClock } from '../src/time/realClock.js';
import { runCli } from '../test/support/cli.js';
import { commands, startFleet, startRunner } from '../test/support/sidecar.js';
import { leadsNow, watchingNow } from './handover.js';
import { ms, option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 100);
const CLI_RUNS = option('cli-runs', 20);
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
/** The demo's timing (PrimaryLease refuses anything under 1 s). */
const TIMING = { leaseDuration: 3_000, renewDeadline: 2_000, retryPeriod: 1_000 };

const row = (what: string, samples: number[]) => ({ what, p50: ms(percentile(samples, 50)), p99: ms(percentile(samples, 99)), max: ms(Math.max(...samples)), runs: samples.length });

async function overHttp() {
  const server = await startLeaseApiServer({ clock: realClock });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeConfig());
  const locks = new KubernetesLeaseLocks(kubeConfig, { kubernetesEvents: false });
  const ref: LeaseRef = { namespace: 'default', name: 'bench-switchover' };
  const spec = lockRecordToLeaseSpec({ holderIdentity: '', leaseDurationSeconds: 3, acquireTime: null, renewTime: null, leaseTransitions: 0 });
  await kubeConfig.makeApiClient(CoordinationV1Api).createNamespacedLease({ namespace: ref.namespace, body: { metadata: { name: ref.name }, spec: spec as V1Lease['spec'] } });

  const pods = new Map<string, PrimaryLease>();
  /** A new instance of `identity` competing (after a release an instance stays idle: its pod would restart it). */
  const join = (identity: string) => {
    const pod = new PrimaryLease({ lock: locks.lockFor(ref, identity) });
    pods.set(identity, pod);
    pod.acquire(TIMING).catch(() => undefined); // stopped instances reject; nothing to report
    return pod;
  };
  for (const identity of ['pod-1', 'pod-2', 'pod-3']) join(identity);
  const leaderNow = async () => {
    for (;;) {
      const leader = [...pods].find(([, pod]) => pod.isLeader());
      if (leader) return leader;
      await new Promise<void>((resolve) => realClock.setTimeout(resolve, 5));
    }
  };
  /** Every instance but the leader waiting on the lease's watch. */
  const othersWatching = (leader: string) => Promise.all([...pods].filter(([id]) => id !== leader).map(([, pod]) => watchingNow(pod)));

  const handOver: number[] = [];
  const releaseRace: number[] = [];
  for (let round = 0; round < 2 * RUNS; round++) {
    const [leader, pod] = await leaderNow();
    await othersWatching(leader);
    const others = [...pods.keys()].filter((id) => id !== leader);
    if (round % 2 === 0) {
      const target = others[(round / 2) % others.length]!;
      const led = leadsNow(pods.get(target)!);
      const from = performance.now();
      await pod.handOver(target);
      await led;
      handOver.push(performance.now() - from);
    } else {
      const led = Promise.race(others.map((id) => leadsNow(pods.get(id)!)));
      const from = performance.now();
      await pod.release();
      await led;
      releaseRace.push(performance.now() - from);
      pod.stop();
      join(leader);
    }
  }
  for (const pod of pods.values()) pod.stop();
  await server.close();
  printTable([row('handOver(to): call -> target leads', handOver), row('release, then race: release() -> another leads', releaseRace)]);
  console.log('three PrimaryLeases over HTTP, lease 3 s, renew deadline 2 s, retry 1 s; rounds alternate');
}

async function throughCli() {
  const toCmd: number[] = [];
  const writtenToCmd: number[] = [];
  const toExit: number[] = [];
  for (let round = 0; round < CLI_RUNS; round++) {
    const fleet = await startFleet();
    try {
      startRunner(fleet, { identity: 'member-1', command: commands.worker });
      await fleet.observer.whenAlive('member-1');
      const waiting = ['member-2', 'member-3'].map((identity) => startRunner(fleet, { identity, command: commands.worker }));
      await Promise.all(waiting.map((member) => member.printed('lease held by another process: waiting')));
      const from = performance.now();
      const cli = runCli(['handover', '--lease', 'job', '--to', 'member-2', '--kubeconfig', fleet.kubeconfig]);
      const written = cli.printed('request written').then(() => performance.now());
      const target = await fleet.observer.whenAlive('member-2');
      toCmd.push(target.firstAlive - from);
      writtenToCmd.push(target.firstAlive - (await written));
      const code = await cli.exited;
      if (code !== 0) throw new Error(`leasehold handover exited ${code}:\n${cli.output()}`);
      toExit.push(performance.now() - from);
    } finally {
      await fleet.close();
    }
  }
  printTable([
    row("leasehold handover invoked -> target's CMD alive", toCmd),
    row("its 'request written' printed -> target's CMD alive", writtenToCmd),
    row('leasehold handover invoked -> it exits 0', toExit),
  ]);
  console.log('three `leasehold run` members (built CLI), lease 2 s, renew deadline 1.5 s, retry 0.5 s; a fresh server and fleet per round');
}

console.log(`load: ${execFileSync('uptime').toString().trim()}`);
if (only !== 'cli') await overHttp();
if (only !== 'http') await throughCli();
console.log(`load: ${execFileSync('uptime').toString().trim()}`);
process.exit(0);
