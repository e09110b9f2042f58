/** The managers' part of the live demo decides on its own: rollouts spaced, the web lease handed between units. */
import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { startDemoManagers, type DemoManagers } from '../../src/cli/demo/managers.js';
import { VirtualClock } from '../../src/time/virtualClock.js';

describe('demo managers', () => {
  it('space rollouts and hand the web lease between units until aborted', async () => {
    const clock = new VirtualClock();
    const events: InspectionEvent[] = [];
    const stop = new AbortController();
    let managers: DemoManagers | undefined;
    startDemoManagers(clock, (event) => events.push(event), stop.signal, (started) => (managers = started));
    const holders = new Set<string>();
    const decisions = { allowed: 0, waited: 0 };
    for (let second = 0; second < 30; second++) {
      await clock.advance(1_000);
      const holder = managers!.leases.reader('application-leadership', 'demo').leases().web?.holder;
      if (holder) holders.add(holder);
      const decision = managers!.rollout.actor.getSnapshot().context.decision;
      if (decision) decisions[decision.rolloutAllowed ? 'allowed' : 'waited']++;
    }
    expect([...holders].sort()).toEqual(['web/0', 'web/1']);
    expect(decisions.allowed).toBeGreaterThan(0);
    expect(decisions.waited).toBeGreaterThan(0);
    expect(managers!.leases.report().counters.revoked).toBeGreaterThan(0);
    const machines = new Set(events.map((event) => (event.actorRef as { logic?: { id?: string } }).logic?.id));
    expect(machines).toContain('rolloutManager');
    expect(machines).toContain('leaseManager');
    stop.abort();
    expect(clock.pendingTimers).toBe(0);
    expect(managers!.leases.report().state).toBe('stopped');
  });
});
