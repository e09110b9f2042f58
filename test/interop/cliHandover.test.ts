/**
 * `leasehold handover` (the built bin) against the embedded server, judged from outside: what the
 * server stored, which guarded commands (CMDs of `leasehold run` members) are alive and when they
 * started, and the command's exit status and words.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Lease } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { lockRecordToLeaseSpec } from '../../src/lease/spec.js';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { runCli } from '../support/cli.js';
import { startFaultProxy } from '../support/faultProxy.js';
import { startRewritingProxy } from '../support/rewritingProxy.js';
import { commands, type Fleet, startFleet, startRunner } from '../support/sidecar.js';

const ANNOTATION = 'leasehold.io/hand-over-to';
const NO_STACK = /\n\s+at /;

/** Undone after each test, the last first (a proxy before the fleet behind it). */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshFleet(): Promise<Fleet> {
  const fleet = await startFleet();
  cleanups.push(() => fleet.close());
  return fleet;
}

/** A fleet whose lease "job" is held by "old" (nobody alive behind it), reached through a proxy `start`s; `handover` runs the CLI through it. */
async function behindProxy<P extends { url: string; close(): Promise<void> }>(start: (target: string) => Promise<P>) {
  const fleet = await freshFleet();
  await staticLease(fleet, 'old');
  const proxy = await start(fleet.server.url);
  cleanups.push(() => proxy.close());
  const kubeconfig = join(fleet.dir, 'kubeconfig-proxy');
  writeFileSync(kubeconfig, kubeConfigFor(proxy.url));
  const handover = () => runCli(['handover', '--lease', 'job', '--to', 'b', '--kubeconfig', kubeconfig, '--timeout', '1s']);
  return { fleet, proxy, handover };
}

const read = (fleet: Fleet, name = 'job') => fleet.api.readNamespacedLease({ namespace: 'default', name });
const handover = (fleet: Fleet, ...args: string[]) => runCli(['handover', '--lease', 'job', '--kubeconfig', fleet.kubeconfig, ...args]);

/** A lease held by `holder`, renewed now for `seconds`, with nobody alive behind it. */
/** A lease nobody renews; with `strategy`, one of coordinated leader election, which may carry spec.preferredHolder. */
async function staticLease(fleet: Fleet, holder: string, { strategy }: { strategy?: string } = {}): Promise<V1Lease> {
  const now = Date.now();
  const spec = { ...lockRecordToLeaseSpec({ holderIdentity: holder, leaseDurationSeconds: 60, acquireTime: now, renewTime: now, leaseTransitions: 3 }), ...(strategy ? { strategy } : {}) };
  return fleet.api.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'job' }, spec: spec as V1Lease['spec'] } });
}
const COORDINATED = { strategy: 'OldestEmulationVersion' };

/** Three `leasehold run` members of lease "job"; member-1 leads, the others wait on the lease. */
async function threeMembers(command: readonly string[] = commands.worker) {
  const fleet = await freshFleet();
  const members = [startRunner(fleet, { identity: 'member-1', command })];
  await fleet.observer.whenAlive('member-1');
  members.push(startRunner(fleet, { identity: 'member-2', command }), startRunner(fleet, { identity: 'member-3', command }));
  await Promise.all(members.slice(1).map((member) => member.printed('lease held by another process: waiting')));
  return { fleet, members };
}

describe('leasehold handover: usage', () => {
  it('bad flags exit 2 with one line naming the flag', async () => {
    const cases: Array<[string[], string]> = [
      [['handover', '--to', 'a'], '--lease NAME is required'],
      [['handover', '--lease', 'job'], '--to ID is required'],
      [['handover', '--lease', 'job', '--to', ''], '--to ID is required'],
      [['handover', '--lease', 'job', '--to', 'a', '--timeout', 'soon'], '--timeout: invalid duration "soon"'],
      [['handover', '--lease', 'job', '--to', 'a', '--timeout', '0'], '--timeout must be longer than 0'],
      [['handover', '--lease', 'job', '--to', 'a', 'b'], 'unexpected argument "b"'],
      [['handover', '--lease', 'job', '--to', 'a', '--force'], 'unknown flag --force (see leasehold handover --help)'],
      [['handover', '--lease', 'job', '--to'], '--to needs a value'],
    ];
    const runs = cases.map(([args, says]) => ({ args, says, cli: runCli(args) }));
    for (const { args, says, cli } of runs) {
      expect(await cli.exited, args.join(' ')).toBe(2);
      expect(cli.output(), args.join(' ')).toContain(says);
      expect(cli.output(), args.join(' ')).not.toMatch(NO_STACK);
    }
  });

  it('--help describes the request, the default timeout and the exit statuses; the command list names it', async () => {
    const help = runCli(['handover', '--help']);
    expect(await help.exited).toBe(0);
    for (const documented of ['usage: leasehold handover --lease NAME --to ID', ANNOTATION, 'spec.preferredHolder', 'twice the lease', 'Exit status']) {
      expect(help.output()).toContain(documented);
    }
    const list = runCli(['--help']);
    expect(await list.exited).toBe(0);
    expect(list.output()).toMatch(/\n {2}handover +ask a lease's leader/);
  });
});

describe('leasehold handover: what it writes and when it gives up', () => {
  it('a lease that does not exist: exit 1, saying so', async () => {
    const fleet = await freshFleet();
    const cli = handover(fleet, '--to', 'a');
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('lease default/job not found');
    expect(cli.output()).not.toMatch(NO_STACK);
  });

  it('the target holds the lease already: exit 0 at once, nothing written', async () => {
    const fleet = await freshFleet();
    const before = await staticLease(fleet, 'a');
    const cli = handover(fleet, '--to', 'a');
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('a holds lease default/job already (term 3): nothing to hand over');
    const after = await read(fleet);
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('a leader that never answers: the request (annotation and spec.preferredHolder) stands until the timeout, then is withdrawn; exit 1 with the lease as it is', async () => {
    const fleet = await freshFleet();
    await staticLease(fleet, 'old', COORDINATED);
    const cli = handover(fleet, '--to', 'b', '--timeout', '1500ms');
    await cli.printed('request written');
    const pending = await read(fleet);
    expect(pending.metadata?.annotations?.[ANNOTATION]).toBe('b');
    expect(pending.spec?.preferredHolder).toBe('b');
    expect(pending.spec?.holderIdentity).toBe('old');
    expect(cli.output()).toContain(`request written: annotation ${ANNOTATION}=b and spec.preferredHolder=b`);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('b did not take the lease within 1.5s');
    expect(cli.output()).toContain('request withdrawn');
    expect(cli.output()).toMatch(/the lease now:\n.*\n {2}holder: {4}old/);
    const withdrawn = await read(fleet);
    expect(withdrawn.metadata?.annotations?.[ANNOTATION]).toBeUndefined();
    expect(withdrawn.spec?.preferredHolder).toBeUndefined();
    expect(withdrawn.spec?.holderIdentity).toBe('old');
  });

  it('Ctrl-C while waiting: the request is withdrawn, exit 130', async () => {
    const fleet = await freshFleet();
    await staticLease(fleet, 'old');
    const cli = handover(fleet, '--to', 'b');
    await cli.printed('request written');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    expect(cli.output()).toContain('request withdrawn');
    const stored = await read(fleet);
    expect(stored.metadata?.annotations?.[ANNOTATION]).toBeUndefined();
    expect(stored.spec?.preferredHolder).toBeUndefined();
  });

  it('a request overwritten by another naming someone else: exit 1 with the reason, the other request left alone', async () => {
    const fleet = await freshFleet();
    await staticLease(fleet, 'old', COORDINATED);
    const cli = handover(fleet, '--to', 'b');
    await cli.printed('request written');
    const lease = await read(fleet);
    lease.metadata!.annotations = { ...lease.metadata!.annotations, [ANNOTATION]: 'c' };
    lease.spec!.preferredHolder = 'c';
    await fleet.api.replaceNamespacedLease({ namespace: 'default', name: 'job', body: lease });
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('the request was overwritten: the lease now asks for c; old holds it now');
    expect(cli.output()).toContain('  hand-over: to c requested (leasehold handover)');
    expect((await read(fleet)).metadata?.annotations?.[ANNOTATION]).toBe('c');
  });

  it('a 409 on the write (the leader renewed in between): it reads again and writes on the new version', async () => {
    const { fleet, proxy, handover } = await behindProxy(startFaultProxy);
    let conflicts = 0;
    proxy.faults = (request) =>
      request.method === 'PUT' && conflicts++ === 0
        ? { status: 409, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: 'the object has been modified' } }
        : undefined;
    const cli = handover();
    await cli.printed('request written');
    expect(proxy.seen.filter((line) => line.startsWith('GET /apis/coordination.k8s.io/v1/namespaces/default/leases/job')).length).toBeGreaterThanOrEqual(2);
    expect((await read(fleet)).metadata?.annotations?.[ANNOTATION]).toBe('b');
    expect(await cli.exited).toBe(1);
  });

  it('a lease without spec.strategy: the server refuses spec.preferredHolder (422, as Kubernetes does), so the annotation alone', async () => {
    const fleet = await freshFleet();
    await staticLease(fleet, 'old');
    const cli = handover(fleet, '--to', 'b', '--timeout', '1500ms');
    await cli.printed('request written');
    expect(cli.output()).toContain(`request written: annotation ${ANNOTATION}=b (the server did not keep spec.preferredHolder)`);
    const stored = await read(fleet);
    expect(stored.metadata?.annotations?.[ANNOTATION]).toBe('b');
    expect(stored.spec?.preferredHolder).toBeUndefined();
    expect(await cli.exited).toBe(1);
  });

  it('a server that drops spec.preferredHolder (older than Kubernetes 1.31): says so and relies on the annotation', async () => {
    const { fleet, handover } = await behindProxy((target) => startRewritingProxy(target, (json) => json.replace(/"preferredHolder":"[^"]*",?/g, '').replace(/,}/g, '}')));
    const cli = handover();
    await cli.printed('request written');
    expect(cli.output()).toContain('(the server did not keep spec.preferredHolder)');
    // What the server stored, read past the proxy: the annotation it relies on is there.
    expect((await read(fleet)).metadata?.annotations?.[ANNOTATION]).toBe('b');
    expect(await cli.exited).toBe(1);
    expect((await read(fleet)).metadata?.annotations?.[ANNOTATION], 'withdrawn at the timeout').toBeUndefined();
  });
});

describe('leasehold handover with three `leasehold run` members', () => {
  it("moves the lease to the chosen member: the old leader's CMD is gone before the target's starts, exit 0", async () => {
    const { fleet, members } = await threeMembers();
    const cli = handover(fleet, '--to', 'member-2');
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('request written');
    expect(cli.output()).toMatch(/member-2 leads lease default\/job \(term 1\), [\d.]+m?s after the request/);
    const target = await fleet.observer.whenAlive('member-2');
    const old = fleet.observer.lives.get('member-1')!;
    expect(old.goneAt, "member-1's CMD gone before member-2's was seen").not.toBeNull();
    expect(old.goneAt!).toBeLessThanOrEqual(target.firstAlive);
    expect(fleet.observer.maxAlive, 'CMDs alive at once').toBe(1);
    const stored = await read(fleet);
    expect(stored.spec?.holderIdentity).toBe('member-2');
    expect(stored.metadata?.annotations?.[ANNOTATION]).toBeUndefined();
    expect(stored.spec?.preferredHolder).toBeUndefined();
    expect(fleet.observer.lives.has('member-3')).toBe(false);
    // The old leader's runner ends as a completed hand-over, not a loss.
    expect(await members[0]!.exited).toBe(0);
    expect(members[0]!.output()).toContain('handed the lease over; CMD was stopped');
  });

  it("a CMD that ignores SIGTERM: the hand-over waits for its SIGKILL; the target's CMD starts only after", async () => {
    const { fleet } = await threeMembers(commands.termIgnoring);
    const cli = handover(fleet, '--to', 'member-3');
    expect(await cli.exited).toBe(0);
    const target = await fleet.observer.whenAlive('member-3');
    const old = fleet.observer.lives.get('member-1')!;
    expect(old.goneAt).not.toBeNull();
    expect(old.goneAt!).toBeLessThanOrEqual(target.firstAlive);
    expect(fleet.observer.maxAlive).toBe(1);
  });

  it('to an identity nobody runs, with a short --timeout: exit 1 with the reason and the lease as it is; a member leads again after expiry', async () => {
    const { fleet } = await threeMembers();
    const cli = handover(fleet, '--to', 'ghost', '--timeout', '1s');
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('ghost did not take the lease within 1s');
    expect(cli.output()).toContain('the lease now:');
    await fleet.observer.until((observer) => observer.alive('member-2') || observer.alive('member-3'));
    const next = fleet.observer.alive('member-2') ? 'member-2' : 'member-3';
    expect(await fleet.holder()).toBe(next);
    expect(fleet.observer.alive('member-1')).toBe(false);
    expect(fleet.observer.maxAlive).toBe(1);
  });

  it('to an identity nobody runs, default timeout: exit 1 once another member has taken the lease over', async () => {
    const { fleet } = await threeMembers();
    const cli = handover(fleet, '--to', 'ghost');
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/the lease named ghost, which never renewed it; member-[23] holds it now/);
    const holder = await fleet.holder();
    expect(['member-2', 'member-3']).toContain(holder);
    await fleet.observer.whenAlive(holder!);
  });
});
