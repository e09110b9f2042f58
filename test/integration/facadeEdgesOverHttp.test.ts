/**
 * Two facade rules of issue 13 over real HTTP against the embedded server: the health check keeps
 * failing after the renew loop gave up (client-go's Check), and PrimaryLease takes
 * releasedLeaseDuration at construction.
 */
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthzAdaptor } from '../../src/api/healthzAdaptor.js';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { PrimaryLease } from '../../src/api/primaryLease.js';
import { type FaultProxy, startFaultProxy } from '../support/faultProxy.js';
import { httpWorldPerTest } from '../support/httpWorldPerTest.js';
import { track } from '../support/leaseWorld.js';

const status = (url: string) =>
  new Promise<number>((resolve, reject) => get(url, (response) => resolve(response.resume().statusCode ?? 0)).on('error', reject));

describe('facade edges over HTTP against the embedded server', () => {
  const { open, stopping } = httpWorldPerTest();
  let probe: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (probe ? probe.close(() => resolve()) : resolve()));
    probe = undefined;
  });

  it('HealthzAdaptor: /healthz fails once the lease is leaseDuration + timeout stale, and keeps failing after the elector gave up', async () => {
    let proxy: FaultProxy | undefined;
    const w = await open({ locksThrough: async (url) => (proxy = await startFaultProxy(url)) });
    const healthz = new HealthzAdaptor({ timeout: 20_000 });
    probe = createServer(healthz.handler);
    await new Promise<void>((resolve) => probe!.listen(0, '127.0.0.1', resolve));
    const healthUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/healthz`;
    const elector = new LeaderElector({
      lock: w.lock('a'),
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      watchdog: healthz,
      callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
      clock: w.clock,
    });
    stopping(elector);
    const ran = track(elector.run());
    await w.clock.advance(2_500);
    expect(elector.isLeader()).toBe(true);
    expect(await status(healthUrl)).toBe(200);

    // The API answers 503 from now on: renewals fail, and after renewDeadline run() gives up.
    proxy!.faults = () => ({ status: 503, body: { kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', code: 503 } });
    proxy!.cut();
    await w.clock.advance(12_000);
    expect(elector.isLeader()).toBe(false);
    expect(ran.settled).toBe(true);
    await w.clock.advance(40_000);
    expect(await status(healthUrl)).toBe(500);
    await w.clock.advance(10 * 60_000);
    expect(await status(healthUrl)).toBe(500);
  });

  it('PrimaryLease: releasedLeaseDuration given at construction is written by a release without acquire', async () => {
    const w = await open();
    await w.put({ holderIdentity: 'pod-1', leaseTransitions: 7 });
    const primary = new PrimaryLease({ lock: w.lock('pod-1'), clock: w.clock, releasedLeaseDuration: 5_000 });
    stopping(primary);
    const released = track(primary.release());
    await w.clock.advanceUntil(() => released.settled, 10_000);
    expect(released.error).toBeUndefined();
    expect(await w.record()).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 5, leaseTransitions: 7 });
  });
});
