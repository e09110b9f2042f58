import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { LeaseMetrics } from '../../src/metrics/leaseMetrics.js';
import { leaseWorld, track } from '../support/leaseWorld.js';

const value = async (metrics: LeaseMetrics, name: string, labels: Record<string, string>) => {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  return metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
};

describe('LeaseMetrics', () => {
  it("reports client-go's master status and slow path, transitions, renew latency and API calls by verb and code", async () => {
    const world = leaseWorld();
    world.store.setLatency(4);
    const metrics = new LeaseMetrics();
    const lock = metrics.instrument('job', world.lock('a'));
    const le = new LeaderElector({
      lock,
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      clock: world.clock,
      callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
    });
    metrics.observe('job', le, () => world.clock.now());
    track(le.run());
    await world.clock.advance(10);
    expect(await value(metrics, 'leader_election_master_status', { name: 'job' })).toBe(1);
    expect(await value(metrics, 'leasehold_api_requests_total', { verb: 'get', code: '404' })).toBe(1);
    expect(await value(metrics, 'leasehold_api_requests_total', { verb: 'create', code: '201' })).toBe(1);
    expect(await value(metrics, 'leader_election_slowpath_total', { name: 'job' })).toBe(1);
    world.store.failNext(1, { kind: 'Conflict', match: (call) => call.verb === 'update' });
    await world.clock.advance(4_000);
    expect(await value(metrics, 'leasehold_api_requests_total', { verb: 'update', code: '409' })).toBe(1);
    expect(await value(metrics, 'leader_election_slowpath_total', { name: 'job' })).toBe(2); // the conflict's re-read
    const renewCount = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'leasehold_renew_duration_seconds')!;
    // One renew landed (at 2 s, after the conflict's re-read), taking one 4 ms round trip.
    expect(renewCount.values.find((v) => (v as { metricName?: string }).metricName === 'leasehold_renew_duration_seconds_count')?.value).toBe(1);
    expect(renewCount.values.find((v) => (v as { metricName?: string }).metricName === 'leasehold_renew_duration_seconds_sum')?.value).toBeCloseTo(0.004, 5);
    world.store.setPartitioned('a', true);
    await world.clock.advance(12_000);
    expect(await value(metrics, 'leader_election_master_status', { name: 'job' })).toBe(0);
    expect(await value(metrics, 'leasehold_lease_transitions_total', { name: 'job' })).toBe(2);
    const text = await metrics.registry.metrics();
    expect(text).toContain('leader_election_master_status{name="job"} 0');
  });
});
