/**
 * Prometheus metrics for participants, with client-go's names where client-go has them:
 *   leader_election_master_status{name}      1 while this process leads the lease, else 0
 *   leader_election_slowpath_total{name}     reads the renew fast path could not avoid (re-reads, polls)
 * and leasehold's own:
 *   leasehold_lease_transitions_total{name}  leadership changes this process went through (gained or lost)
 *   leasehold_renew_duration_seconds{name}   time from sending a renew to its success
 *   leasehold_api_requests_total{name,verb,code}  store calls by Kubernetes verb and HTTP status
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Observable } from 'rxjs';
import type { LeaseErrorKind } from '../lease/errors.js';
import type { LeaseLock, LeaseWatchEvent } from '../ports/leaseLock.js';
import type { ParticipantActor } from '../runtime/participant.js';
import { realClock } from '../time/realClock.js';

const CODE_OF: Record<LeaseErrorKind, string> = {
  NotFound: '404',
  Conflict: '409',
  AlreadyExists: '409',
  Invalid: '422',
  Forbidden: '403',
  Unavailable: '503',
};

export class LeaseMetrics {
  readonly registry: Registry;
  private readonly masterStatus: Gauge<'name'>;
  private readonly slowpath: Counter<'name'>;
  private readonly transitions: Counter<'name'>;
  private readonly renewDuration: Histogram<'name'>;
  private readonly requests: Counter<'name' | 'verb' | 'code'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.masterStatus = new Gauge({ name: 'leader_election_master_status', help: '1 while this process leads the lease, else 0', labelNames: ['name'], registers });
    this.slowpath = new Counter({ name: 'leader_election_slowpath_total', help: 'Reads of the lease the renew fast path could not avoid', labelNames: ['name'], registers });
    this.transitions = new Counter({ name: 'leasehold_lease_transitions_total', help: 'Leadership gained or lost by this process', labelNames: ['name'], registers });
    this.renewDuration = new Histogram({
      name: 'leasehold_renew_duration_seconds',
      help: 'Time from sending a renew to its success',
      labelNames: ['name'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.requests = new Counter({ name: 'leasehold_api_requests_total', help: 'Lease store calls by verb and status code', labelNames: ['name', 'verb', 'code'], registers });
  }

  /**
   * Hears what a participant tells (its facade's actor: PrimaryLease, LeaderElector or LeaseLocker);
   * `now` reads the participant's clock, for renew latency. Returns a function that stops listening.
   */
  observe(name: string, participant: { readonly actor: ParticipantActor }, now: () => number = realClock.now): () => void {
    const { actor } = participant;
    this.masterStatus.set({ name }, 0);
    const leadership = (leading: boolean) => () => {
      this.masterStatus.set({ name }, leading ? 1 : 0);
      this.transitions.inc({ name });
    };
    const subscriptions = [
      actor.on('leadershipStarted', leadership(true)),
      actor.on('leadershipEnded', leadership(false)),
      actor.on('renewed', ({ sentAt }) => this.renewDuration.observe({ name }, Math.max(0, now() - sentAt) / 1000)),
      actor.on('slowPath', () => this.slowpath.inc({ name })),
    ];
    return () => subscriptions.forEach((subscription) => subscription.unsubscribe());
  }

  /** A LeaseLock that counts its calls by Kubernetes verb and status code. */
  instrument(name: string, lock: LeaseLock): LeaseLock {
    const count = <T>(verb: string, call: Promise<T>): Promise<T> =>
      call.then(
        (result) => {
          this.requests.inc({ name, verb, code: verb === 'create' ? '201' : '200' });
          return result;
        },
        (error: unknown) => {
          const kind = (error as { kind?: LeaseErrorKind }).kind;
          this.requests.inc({ name, verb, code: kind ? CODE_OF[kind] : 'error' });
          throw error;
        },
      );
    return {
      identity: lock.identity,
      ref: lock.ref,
      describe: () => lock.describe(),
      recordEvent: (message) => lock.recordEvent(message),
      get: (signal) => count('get', lock.get(signal)),
      create: (record, signal) => count('create', lock.create(record, signal)),
      update: (record, rv, signal) => count('update', lock.update(record, rv, signal)),
      watch: () =>
        new Observable<LeaseWatchEvent>((subscriber) => {
          this.requests.inc({ name, verb: 'watch', code: '200' });
          return lock.watch().subscribe(subscriber);
        }),
    };
  }

  /** `/metrics` in the Prometheus text format, usable as an http handler. */
  readonly handler = async (_request: unknown, response: import('node:http').ServerResponse): Promise<void> => {
    const body = await this.registry.metrics();
    response.writeHead(200, { 'content-type': this.registry.contentType });
    response.end(body);
  };
}
