/**
 * `leasehold run` and `leasehold handover` (the built bin) on kube-apiserver, judged from outside:
 * each CMD writes its pid, an observer samples /proc every 2 ms, and the stored Lease is read back
 * with a plain client. Two CMDs alive at once is an overlap.
 */
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { describeOnRealCluster } from '../support/realCluster.js';
import { type RealFleet, startRealFleet } from '../support/realFleet.js';
import { commands, startRunner } from '../support/sidecar.js';

let fleet: RealFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** Three members of lease "job"; member-1 leads, the others wait on the lease. */
async function threeMembers(purpose: string) {
  fleet = await startRealFleet(purpose);
  const members = [startRunner(fleet, { identity: 'member-1', command: commands.nestedShell })];
  await fleet.observer.whenAlive('member-1');
  members.push(...['member-2', 'member-3'].map((identity) => startRunner(fleet!, { identity, command: commands.nestedShell })));
  await Promise.all(members.slice(1).map((member) => member.printed('lease held by another process: waiting')));
  return { fleet, members };
}

describeOnRealCluster('leasehold run on kube-apiserver', () => {
  it('three members: kill -9 of the leader’s runner takes its CMD with it; one successor leads after the lease lapses, never two at once', async () => {
    const { fleet, members } = await threeMembers('failover');
    const before = await fleet.lease();
    expect(before?.spec?.holderIdentity).toBe('member-1');
    members[0]!.signal('SIGKILL');
    await fleet.observer.whenGone('member-1');
    await fleet.observer.until((observer) => observer.alive('member-2') || observer.alive('member-3'));
    expect(fleet.observer.maxAlive, 'CMDs alive at once').toBe(1);
    const successor = fleet.observer.alive('member-2') ? 'member-2' : 'member-3';
    expect(fleet.observer.lives.get('member-1')!.goneAt!).toBeLessThanOrEqual(fleet.observer.lives.get(successor)!.firstAlive);
    const after = await fleet.lease();
    expect(after?.spec).toMatchObject({ holderIdentity: successor, leaseTransitions: (before!.spec!.leaseTransitions ?? 0) + 1 });
  });

  it('leasehold handover --to member-3: member-3 leads, the leader’s CMD ended first, the request is gone from the Lease', async () => {
    const { fleet } = await threeMembers('handover');
    const handover = runCli(['handover', '--lease', 'job', '--to', 'member-3', '--kubeconfig', fleet.kubeconfig]);
    expect(await handover.exited, handover.output()).toBe(0);
    await fleet.observer.whenAlive('member-3');
    expect(fleet.observer.maxAlive, 'CMDs alive at once').toBe(1);
    expect(fleet.observer.lives.get('member-1')!.goneAt!).toBeLessThanOrEqual(fleet.observer.lives.get('member-3')!.firstAlive);
    const stored = await fleet.lease();
    expect(stored?.spec?.holderIdentity).toBe('member-3');
    expect(stored?.metadata?.annotations?.['leasehold.io/hand-over-to']).toBeUndefined();
    expect(handover.output()).toContain('member-3 leads lease');
  });
});
