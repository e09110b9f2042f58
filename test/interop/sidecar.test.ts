/**
 * `leasehold run` (the built bin) under the faults of a real deployment, judged from outside: each
 * CMD writes its pid, an observer samples /proc every 2 ms, and a case fails if two CMDs are ever
 * alive at once, or if a crashed runner's CMD is still alive when its successor's starts.
 */
import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeConfigFor } from '../../src/server/kubeconfig.js';
import { startFaultProxy } from '../support/faultProxy.js';
import { fakePod } from '../support/inCluster.js';
import { commands, type Fleet, isAlive, processGroup, sleep, startFleet, startRunner, termOf } from '../support/sidecar.js';

let fleet: Fleet | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A leads with `command`; B waits for the lease (it has read it and watches). */
async function leaderAndCandidate(command: readonly string[], options: { flags?: string[]; kubeconfigA?: string } = {}) {
  fleet = await startFleet();
  const a = startRunner(fleet, { identity: 'a', command, ...options, ...(options.kubeconfigA ? { kubeconfig: options.kubeconfigA } : {}) });
  await fleet.observer.whenAlive('a');
  const b = startRunner(fleet, { identity: 'b', command, ...(options.flags ? { flags: options.flags } : {}) });
  await b.printed('lease held by another process: waiting');
  return { fleet, a, b };
}

/** A's CMD ended before B's started, and never were two alive at once. */
function expectNoOverlap(fleet: Fleet) {
  const a = fleet.observer.lives.get('a')!;
  const b = fleet.observer.lives.get('b')!;
  expect(fleet.observer.maxAlive, 'CMDs alive at once').toBe(1);
  expect(a.goneAt, "A's CMD gone before B's CMD was seen").not.toBeNull();
  expect(a.goneAt!).toBeLessThanOrEqual(b.firstAlive);
}

describe('leasehold run: CMD never outlives leadership', () => {
  it('SIGTERM to the runner stops a nested shell and its worker, then releases: the successor starts after', async () => {
    const { fleet, a } = await leaderAndCandidate(commands.nestedShell);
    a.signal('SIGTERM');
    await fleet.observer.whenAlive('b');
    expectNoOverlap(fleet);
    expect(await a.exited).toBe(143); // the outer shell's status: killed by SIGTERM
  });

  it('a CMD that ignores SIGTERM is SIGKILLed after the grace period, before the lease is released', async () => {
    const { fleet, a } = await leaderAndCandidate(commands.termIgnoring);
    a.signal('SIGTERM');
    await fleet.observer.whenAlive('b');
    expectNoOverlap(fleet);
    expect(await a.exited).toBe(137);
  });

  for (const [name, command] of Object.entries({ worker: commands.worker, 'nested shell': commands.nestedShell, 'TERM-ignoring worker': commands.termIgnoring })) {
    it(`kill -9 of the runner: its CMD (${name}) dies with it, before the successor starts`, async () => {
      const { fleet, a } = await leaderAndCandidate(command);
      a.signal('SIGKILL');
      await fleet.observer.whenAlive('b');
      expectNoOverlap(fleet);
    });
  }

  it('a runner cut off from the API stops a TERM-ignoring nested worker by SIGKILL before the lease could expire', async () => {
    fleet = await startFleet();
    const proxy = await startFaultProxy(fleet.server.url);
    cleanups.push(() => proxy.close());
    const kubeconfigA = join(fleet.dir, 'kubeconfig-a');
    writeFileSync(kubeconfigA, kubeConfigFor(proxy.url));
    const a = startRunner(fleet, { identity: 'a', command: commands.nestedTermIgnoring, kubeconfig: kubeconfigA });
    await fleet.observer.whenAlive('a');
    const b = startRunner(fleet, { identity: 'b', command: commands.nestedTermIgnoring });
    await b.printed('lease held by another process: waiting');
    proxy.faults = () => 'hold'; // every request of A hangs; its watch ends
    proxy.cut();
    await fleet.observer.whenAlive('b');
    expectNoOverlap(fleet);
    expect(await a.exited).toBe(1);
    expect(a.output()).toContain('leadership lost: stopping CMD');
  });

  it('runner and CMD paused together past the SIGKILL deadline: SIGKILL at once on waking, not a new grace period', async () => {
    // Lease 6 s, renew deadline 2 s, grace 2 s: A's SIGKILL is due 4 s after the start of its last
    // renew, B may lead 6 s after it saw that renew. Both A and its CMD sleep until 4.5 s after it.
    const flags = ['--lease-duration', '6s', '--renew-deadline', '2s', '--retry-period', '500ms', '--grace-period', '2s'];
    const { fleet, a } = await leaderAndCandidate(commands.termIgnoring, { flags });
    const renewed = await nextRenew(fleet);
    const group = processGroup(fleet.observer.lives.get('a')!.pid)!;
    a.signal('SIGSTOP', 'group');
    process.kill(-group, 'SIGSTOP');
    await sleep(renewed + 4_500 - Date.now()); // the fault's duration, not a synchronisation
    process.kill(-group, 'SIGCONT');
    a.signal('SIGCONT', 'group');
    await fleet.observer.whenAlive('b');
    expectNoOverlap(fleet);
    expect(await a.exited).toBe(1);
  });

  for (const scope of ['process', 'group'] as const) {
    it(`the runner paused alone (SIGSTOP of its ${scope}), outside any sidecar's reach: on waking it SIGKILLs CMD at once; the successor's term is higher`, async () => {
      const { fleet, a } = await leaderAndCandidate(commands.worker);
      a.signal('SIGSTOP', scope);
      await fleet.observer.whenAlive('b'); // A's CMD runs on beside B's: the case README names
      a.signal('SIGCONT', scope);
      expect(await a.exited).toBe(1);
      expect(isAlive(fleet.observer.lives.get('a')!.pid), "A's CMD alive after A exited").toBe(false);
      expect(termOf(fleet, 'b')).toBeGreaterThan(termOf(fleet, 'a'));
    });
  }

  it('in a pod without a kubeconfig: the in-cluster service account, its namespace, unique default identities, one CMD at a time', async () => {
    const token = 'service-account-token';
    fleet = await startFleet({ token });
    const pod = await fakePod(fleet.server.port, { token, namespace: 'batch' });
    cleanups.push(() => pod.close());
    const runners = [0, 1, 2].map(() => startRunner(fleet!, { command: commands.worker, kubeconfig: null, env: pod.env }));
    await fleet.observer.until((observer) => observer.lives.size === 1);
    const [first] = [...fleet.observer.lives.keys()];
    expect(await fleet.holder('job', 'batch')).toBe(first);
    expect(first).toMatch(/^.+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Hand over: the leader's runner gets SIGTERM; another replica's CMD starts after.
    const leader = runners.find((runner) => runner.output().includes(`identity=${first}`))!;
    leader.signal('SIGTERM');
    await fleet.observer.until((observer) => observer.lives.size === 2);
    const second = [...fleet.observer.lives.keys()].find((identity) => identity !== first)!;
    expect(second).not.toBe(first);
    expect(await fleet.holder('job', 'batch')).toBe(second);
    expect(fleet.observer.maxAlive).toBe(1);
    expect(await leader.exited).toBe(143);
  });

  it('an unreachable API is retried (CMD never starts) and SIGTERM still ends the runner', async () => {
    fleet = await startFleet();
    // An API address that cuts every connection once it has read the request line: the reads of the
    // lease (not the watch's own reconnections) are counted here.
    let attempts = 0;
    const waiting = new Set<() => void>();
    const cutter = createServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        const requestLine = chunk.toString().split('\r\n')[0]!;
        if (/^GET \S*\/leases\/job(\?\S*)? HTTP/.test(requestLine) && !/[?&]watch=/.test(requestLine)) attempts++;
        socket.destroy();
        for (const wake of waiting) wake();
      });
    });
    await new Promise<void>((resolve) => cutter.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => cutter.close(() => resolve())));
    const dead = join(fleet.dir, 'kubeconfig-dead');
    writeFileSync(dead, kubeConfigFor(`http://127.0.0.1:${(cutter.address() as AddressInfo).port}`));
    const runner = startRunner(fleet, { identity: 'a', command: commands.worker, kubeconfig: dead });
    // It keeps trying: three reads at least, each after the last was cut (a runner that gives up exits instead).
    const gaveUp = Promise.race([
      runner.exited.then((code) => `exited ${code} after ${attempts} reads:\n${runner.output()}`),
      sleep(60_000).then(() => `only ${attempts} reads in 60 s (a hang guard):\n${runner.output()}`),
    ]);
    while (attempts < 3) {
      const outcome = await Promise.race([new Promise<undefined>((resolve) => waiting.add(() => resolve(undefined))), gaveUp]);
      if (outcome !== undefined) throw new Error(outcome);
    }
    runner.signal('SIGTERM');
    expect(await runner.exited).toBe(143);
    expect(fleet.observer.lives.size).toBe(0);
    expect(runner.output()).toMatch(/lease store calls failing; retrying/);
  });
});

/** The start of A's next renew, from the renewTime it writes (same host, same clock). */
async function nextRenew(fleet: Fleet): Promise<number> {
  const after = Date.now();
  for (;;) {
    const lease = await fleet.api.readNamespacedLease({ namespace: 'default', name: 'job' });
    const renew = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
    if (renew > after) return renew;
    await sleep(5);
  }
}
