/**
 * Prometheus metrics for a LeaseManager, read from its report() at scrape time (nothing is counted
 * on the request path):
 *   leasehold_managed_leases{state}                  live leases: "held" (unpinned) and "pinned"
 *   leasehold_lease_manager_waiters                  waitUntilExpired callers still waiting
 *   leasehold_lease_manager_queued_requests          requests not yet answered by the store
 *   leasehold_lease_manager_outcomes_total{outcome}  claimed, extended, denied, revoked, expired, timeouts
 *   leasehold_lease_manager_retries_total            store calls retried after a transient error
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LeaseManagerCounters } from '../../machines/leaseManager.js';

/** The figures of a LeaseManager's report() that the metrics publish. */
export interface LeaseManagerFigures {
  /** Live leases, pinned ones included. */
  leases: number;
  pinned: number;
  queued: { claims: number; revokes: number; pins: number };
  waiters: number;
  counters: LeaseManagerCounters;
}

const OUTCOMES = ['claimed', 'extended', 'denied', 'revoked', 'expired', 'timeouts'] as const;

export function registerLeaseManagerMetrics(registry: Registry, report: () => LeaseManagerFigures): void {
  const registers = [registry];
  new Gauge({
    name: 'leasehold_managed_leases',
    help: 'Live leases held through the lease manager, by state',
    labelNames: ['state'],
    registers,
    collect() {
      const { leases, pinned } = report();
      this.set({ state: 'held' }, leases - pinned);
      this.set({ state: 'pinned' }, pinned);
    },
  });
  new Gauge({
    name: 'leasehold_lease_manager_waiters',
    help: 'waitUntilExpired callers still waiting',
    registers,
    collect() {
      this.set(report().waiters);
    },
  });
  new Gauge({
    name: 'leasehold_lease_manager_queued_requests',
    help: 'Requests not yet answered by the store',
    registers,
    collect() {
      const { claims, revokes, pins } = report().queued;
      this.set(claims + revokes + pins);
    },
  });
  // The manager keeps running totals; a counter reports them by adding what is new since the last scrape.
  const counted = (name: string, help: string, labelNames: string[], totals: () => Record<string, number>) => {
    const reported = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        for (const [label, total] of Object.entries(totals())) {
          const delta = total - (reported.get(label) ?? 0);
          reported.set(label, total);
          if (labelNames.length) this.inc({ [labelNames[0]!]: label }, delta);
          else this.inc(delta);
        }
      },
    });
  };
  counted('leasehold_lease_manager_outcomes_total', 'Requests and expiries by outcome', ['outcome'], () => {
    const { counters } = report();
    return Object.fromEntries(OUTCOMES.map((outcome) => [outcome, counters[outcome]]));
  });
  counted('leasehold_lease_manager_retries_total', 'Store calls retried after a transient error', [], () => ({ all: report().counters.retries }));
}
