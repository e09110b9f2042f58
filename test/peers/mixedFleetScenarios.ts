/**
 * client-go electors and leasehold participants (`leasehold run` and the library) on one Lease: one
 * table of scenarios, run on the embedded server (test/peers/mixedFleet.test.ts) and on
 * kube-apiserver (test/real/mixedFleet.test.ts). Each side's guarded work appends to one shared
 * file; overlap is judged from those effects alone. The scenarios assert safety (no overlap; no
 * takeover before leaseDuration); how fast a hand-over is lives in bench/peers.bench.ts.
 */
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type FleetOptions, MIXED_TIMING, type MixedFleet, mixedFleet, type PeerKind, type Target, type Timing } from './fleet.js';

/** A MicroTime ("2026-12-07T21:35:23.632046Z") in epoch milliseconds, microseconds kept as a fraction. */
const microTimeMs = (time: string | Date | undefined) => {
  const text = String(time instanceof Date ? time.toISOString() : time);
  const micros = /\.(\d{6})Z$/.exec(text)?.[1];
  return Date.parse(text.replace(/\.\d+Z$/, 'Z')) + (micros ? Number(micros) / 1000 : 0);
};

/** A hang guard, not a speed limit: each scenario starts several processes, slow on a loaded machine. */
const GUARD = { timeout: 300_000 };

/** The crashed leader's lease is longer than its successor's own: the successor must honour the record's. */
const LONGER: Timing = { ...MIXED_TIMING, leaseDuration: '6s' };

export function mixedFleetScenarios(target: Target): void {
  let fleet: MixedFleet | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && fleet) console.error(fleet.report());
    await fleet?.close();
    fleet = undefined;
  });

  const releases: [PeerKind, PeerKind][] = [
    ['client-go', 'leasehold run'],
    ['client-go', 'leasehold library'],
    ['leasehold run', 'client-go'],
    ['leasehold library', 'client-go'],
  ];
  for (const [first, second] of releases) {
    it(`${first} releases (SIGTERM${first === 'client-go' ? ', ReleaseOnCancel' : ''}): ${second} leads after it, without waiting for expiry`, GUARD, async () => {
      fleet = await mixedFleet(target, 'release');
      const a = await fleet.start(first, { identity: 'a', releaseOnCancel: true });
      await fleet.whenActing('a');
      const b = await fleet.start(second, { identity: 'b', releaseOnCancel: true });
      await b.waiting();
      a.signal('SIGTERM');
      await fleet.whenLease((version) => version.spec.holderIdentity === '');
      await fleet.whenActing('b');
      expect(await a.exited).not.toBeNull();
      fleet.assertNoOverlap();
      const [ta, tb] = fleet.tenures();
      expect([ta!.who, tb!.who]).toEqual(['a', 'b']);
    });
  }

  for (const [first, second] of releases) {
    it(`${first}'s leader is killed (SIGKILL): ${second} leads only once the record's leaseDuration (6 s, longer than its own) has passed since the last renew that landed`, GUARD, async () => {
      fleet = await mixedFleet(target, 'crash');
      const a = await fleet.start(first, { identity: 'a', timing: LONGER });
      await fleet.whenActing('a');
      const b = await fleet.start(second, { identity: 'b' });
      await b.waiting();
      a.signal('SIGKILL');
      const takeover = await fleet.whenLease((version) => version.spec.holderIdentity === 'b');
      const successorActs = await fleet.whenActing('b');
      const lastRenew = fleet.history.slice(0, fleet.history.indexOf(takeover)).findLast((version) => version.spec.holderIdentity === 'a')!;
      expect(lastRenew.spec.leaseDurationSeconds).toBe(6);
      // renewTime is stamped by the writer before it sends, so the renew landed after it.
      expect(successorActs.wallNs / 1e6 - microTimeMs(lastRenew.spec.renewTime)).toBeGreaterThanOrEqual(6_000);
      expect(takeover.spec.leaseTransitions).toBe((lastRenew.spec.leaseTransitions ?? 0) + 1);
      fleet.assertNoOverlap();
    });
  }

  it('handOver(to) from a leasehold library leader to a client-go identity: client-go adopts the lease that names it, no overlap', GUARD, async () => {
    fleet = await mixedFleet(target, 'handover');
    const a = await fleet.start('leasehold library', { identity: 'a' });
    await fleet.whenActing('a');
    const b = await fleet.start('client-go', { identity: 'b' });
    await b.waiting();
    a.send('handover b');
    await fleet.whenActing('b');
    await expect.poll(() => a.events().find((event) => event.event === 'handover')).toMatchObject({ to: 'b', outcome: 'led' });
    const handedOver = fleet.history.find((version) => version.spec.holderIdentity === 'b')!;
    const confirmed = fleet.history.slice(fleet.history.indexOf(handedOver) + 1).find((version) => version.spec.holderIdentity === 'b')!;
    // client-go renewed the record leasehold wrote as its own: no transition, leasehold's acquireTime kept to the microsecond.
    expect(confirmed.spec.leaseTransitions).toBe(handedOver.spec.leaseTransitions);
    expect(microTimeMs(confirmed.spec.acquireTime)).toBe(microTimeMs(handedOver.spec.acquireTime));
    fleet.assertNoOverlap();
  });

  it('`leasehold handover --to` a client-go identity: the runner stops CMD, names the client-go elector, which leads; no overlap', GUARD, async () => {
    fleet = await mixedFleet(target, 'handover-cli');
    const a = await fleet.start('leasehold run', { identity: 'a' });
    await fleet.whenActing('a');
    const b = await fleet.start('client-go', { identity: 'b' });
    await b.waiting();
    const kubeconfig = `${fleet.dir}/kubeconfig-a`;
    const handover = runCli(['handover', '--lease', fleet.lease, '--namespace', fleet.namespace, '--kubeconfig', kubeconfig, '--to', 'b']);
    expect(await handover.exited).toBe(0);
    expect(handover.output()).toContain('b leads lease');
    await fleet.whenActing('b');
    expect(await a.exited).toBe(0);
    fleet.assertNoOverlap();
  });

  it("leaseTransitions counts every new holder whoever writes it, and LEASEHOLD_TERM is the count at leasehold's takeover", GUARD, async () => {
    fleet = await mixedFleet(target, 'transitions');
    const order: PeerKind[] = ['client-go', 'leasehold run', 'client-go', 'leasehold library', 'leasehold run'];
    // One candidate at a time, so each release has one successor.
    let holder = await fleet.start(order[0]!, { identity: 'p0', releaseOnCancel: true });
    await fleet.whenActing('p0');
    for (const [i, kind] of order.entries()) {
      if (i === 0) continue;
      const next = await fleet.start(kind, { identity: `p${i}`, releaseOnCancel: true });
      await next.waiting();
      holder.signal('SIGTERM');
      await holder.exited;
      await fleet.whenActing(`p${i}`);
      holder = next;
    }
    const tenures = fleet.tenures();
    expect(tenures.map((tenure) => tenure.who)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    const takeovers = fleet.history.filter((version, i) => version.spec.holderIdentity && version.spec.holderIdentity !== fleet!.history[i - 1]?.spec.holderIdentity);
    expect(takeovers.map((version) => [version.spec.holderIdentity, version.spec.leaseTransitions])).toEqual([
      ['p0', 0],
      ['p1', 1],
      ['p2', 2],
      ['p3', 3],
      ['p4', 4],
    ]);
    expect(tenures.map((tenure) => tenure.term)).toEqual([null, 1, null, 3, 4]);
    fleet.assertNoOverlap();
  });

  it("a leasehold leader's renews keep the labels client-go's NewWithLabels set", GUARD, async () => {
    fleet = await mixedFleet(target, 'labels');
    const a = await fleet.start('client-go', { identity: 'a', releaseOnCancel: true, labels: { 'app.kubernetes.io/name': 'reconciler', tier: 'control' } });
    await fleet.whenActing('a');
    const b = await fleet.start('leasehold run', { identity: 'b' });
    await b.waiting();
    a.signal('SIGTERM');
    const takeover = await fleet.whenLease((version) => version.spec.holderIdentity === 'b');
    const renews = await fleet.whenLease((version) => version.spec.holderIdentity === 'b' && fleet!.history.indexOf(version) >= fleet!.history.indexOf(takeover) + 3);
    for (const version of fleet.history.slice(fleet.history.indexOf(takeover), fleet.history.indexOf(renews) + 1)) {
      expect(version.labels).toEqual({ 'app.kubernetes.io/name': 'reconciler', tier: 'control' });
    }
    fleet.assertNoOverlap();
  });

  strategyScenario(target, () => ({}));
}

/**
 * spec.strategy (and spec.preferredHolder beside it), on a server that keeps them: leasehold keeps
 * what it does not own, client-go does not. Also run on a control plane with CoordinatedLeaderElection
 * on (test/real/mixedFleetCoordinated.test.ts), since kube-apiserver drops the fields without it.
 */
export function strategyScenario(target: Target, fleetOptions: () => FleetOptions): void {
  let fleet: MixedFleet | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && fleet) console.error(fleet.report());
    await fleet?.close();
    fleet = undefined;
  });

  it("spec.strategy: leasehold's renews keep it, client-go's first write after a takeover drops it (client-go writes its whole record as the spec)", GUARD, async () => {
    fleet = await mixedFleet(target, 'strategy', fleetOptions());
    const a = await fleet.start('leasehold library', { identity: 'a', releaseOnCancel: true });
    await fleet.whenActing('a');
    const edited = await fleet.edit((lease) => (lease.spec = { ...lease.spec, strategy: 'OldestEmulationVersion' }));
    const kept = edited.spec?.strategy === 'OldestEmulationVersion';
    const b = await fleet.start('client-go', { identity: 'b' });
    await b.waiting();
    const renewed = await fleet.whenLease((version) => version.spec.holderIdentity === 'a' && version.resourceVersion !== edited.metadata?.resourceVersion, fleet.history.length);
    a.signal('SIGTERM');
    const takeover = await fleet.whenLease((version) => version.spec.holderIdentity === 'b');
    if (kept) {
      // Where the server keeps the field: the embedded server, kube-apiserver with CoordinatedLeaderElection on.
      expect(renewed.spec.strategy).toBe('OldestEmulationVersion');
      expect(fleet.history.find((version) => version.spec.holderIdentity === '')?.spec.strategy).toBe('OldestEmulationVersion');
    } else {
      expect(edited.spec?.strategy, 'a server without the feature drops it at once').toBeUndefined();
    }
    expect(takeover.spec.strategy).toBeUndefined();
    fleet.assertNoOverlap();
  });
}
