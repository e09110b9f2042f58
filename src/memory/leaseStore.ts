/**
 * An in-process lease store with the semantics of kube-apiserver that leader election relies on:
 * compare-and-swap on resourceVersion, strictly increasing resourceVersions, a watch per lease.
 * Fault injection makes it the bench for unit tests and the simulated cluster: fail the next N
 * calls, latency on the clock, partition one identity from the store, drop watch streams.
 */
import { Observable, Subject } from 'rxjs';
import { LeaseUnavailableError, leaseApiError } from '../lease/errors.js';
import { describeLease, type LeaseRecord, type LeaseRef, type ObservedLease } from '../lease/record.js';
import { handOverRequest, settlesHandOverRequest, type HandOverRequestFields } from '../lease/handOverRequest.js';
import { isWellFormedSpec, leaseSpecToLockRecord, lockRecordToLeaseSpec } from '../lease/spec.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { LeaseLock, LeaseLockFactory, LeaseWatchEvent } from '../ports/leaseLock.js';
import { FaultQueue, type InjectedFault } from './faults.js';
import { MemoryLeaseLock } from './leaseLock.js';

export type StoreVerb = 'get' | 'create' | 'update' | 'delete';

export interface StoreCall {
  verb: StoreVerb;
  ref: LeaseRef;
  identity: string;
}


/** A committed change, for invariant checks: who wrote what over what. */
export interface StoreChange {
  call: StoreCall;
  before: ObservedLease | null;
  after: ObservedLease | null;
}

const keyOf = (ref: LeaseRef) => describeLease(ref);

export class MemoryLeaseStore implements LeaseLockFactory {
  /** Each lease as every reader sees it, read from the spec once at commit (readers never mutate it). */
  private readonly leases = new Map<string, ObservedLease>();
  /** Hand-over requests written on a lease (annotation, preferredHolder), kept across writes as a Lease's are. */
  private readonly requests = new Map<string, HandOverRequestFields>();
  private readonly watchers = new Map<string, Set<WatchStream>>();
  /** How long a dropped watch stays down before it reconnects. */
  watchReconnectDelay = 1000;
  private revision = 0;
  private readonly faults = new FaultQueue<StoreCall>();
  private readonly partitioned = new Set<string>();
  private latencyOf: (call: StoreCall) => number = () => 0;
  private faultPolicy: ((call: StoreCall) => InjectedFault<StoreCall> | undefined) | undefined;
  private readonly counts = new Map<string, number>();
  private readonly changeSubject = new Subject<StoreChange>();
  /** Every committed write, in commit order. */
  readonly changes$ = this.changeSubject.asObservable();

  constructor(readonly clock: Clock) {}

  lockFor(ref: LeaseRef, identity: string): LeaseLock {
    return new MemoryLeaseLock(this, ref, identity);
  }

  // ---- fault injection -------------------------------------------------------------------------

  /** The next `count` calls matching `fault.match` fail with `fault.kind`. */
  failNext(count: number, fault: InjectedFault<StoreCall>): void {
    this.faults.push(count, fault);
  }

  /** Faults queued by failNext and not yet thrown. */
  get pendingFaults(): number {
    return this.faults.pending;
  }

  /**
   * Decides a fault for every call (after the queued failNext faults): the simulated cluster's
   * per-call error rates. Return undefined for no fault.
   */
  setFaultPolicy(policy: ((call: StoreCall) => InjectedFault<StoreCall> | undefined) | undefined): void {
    this.faultPolicy = policy;
  }

  /** Every call waits `latency` ms of clock time: half before it commits, half after. */
  setLatency(latency: number | ((call: StoreCall) => number)): void {
    this.latencyOf = typeof latency === 'number' ? () => latency : latency;
  }

  /** Cuts `identity` off the store: its calls fail Unavailable and its watches go down. */
  setPartitioned(identity: string, partitioned: boolean): void {
    if (partitioned) {
      this.partitioned.add(identity);
      this.dropWatches((w) => w === identity);
    } else {
      this.partitioned.delete(identity);
    }
  }

  isPartitioned(identity: string): boolean {
    return this.partitioned.has(identity);
  }

  /** True while a watch stream of `identity` on the lease is attached: it will be told of every change. */
  isWatching(ref: LeaseRef, identity: string): boolean {
    for (const stream of this.watchers.get(keyOf(ref)) ?? []) if (stream.identity === identity) return true;
    return false;
  }

  /** Ends watch streams (all, or those of matching identities) with a 'down' event. */
  dropWatches(matchIdentity: (identity: string) => boolean = () => true): void {
    for (const set of this.watchers.values()) {
      for (const stream of [...set]) if (matchIdentity(stream.identity)) stream.drop();
    }
  }

  // ---- direct access (tests, operators) --------------------------------------------------------

  /** Writes a spec as-is, unvalidated (to build states and inject malformed objects). */
  putRaw(ref: LeaseRef, spec: unknown): ObservedLease {
    return this.commit({ verb: 'update', ref, identity: '(test)' }, spec);
  }

  put(ref: LeaseRef, record: LeaseRecord): ObservedLease {
    return this.putRaw(ref, lockRecordToLeaseSpec(record));
  }

  /**
   * Asks the holder to hand the lease over to `to`, as `leasehold handover` or a coordinated
   * election controller would: through the annotation or spec.preferredHolder (undefined clears it).
   * A write like any other (a new resourceVersion, delivered to watchers).
   */
  requestHandOver(ref: LeaseRef, to: string | undefined, via: keyof HandOverRequestFields = 'annotation'): ObservedLease {
    const current = this.peek(ref);
    if (!current) throw new Error(`no lease ${keyOf(ref)} to ask a hand-over of`);
    this.requests.set(keyOf(ref), { ...this.requests.get(keyOf(ref)), [via]: to });
    return this.commit({ verb: 'update', ref, identity: '(test)' }, lockRecordToLeaseSpec(current.record));
  }

  /** The request fields as stored (for tests: what a write kept or cleared). */
  handOverRequestFields(ref: LeaseRef): HandOverRequestFields {
    return { ...this.requests.get(keyOf(ref)) };
  }

  peek(ref: LeaseRef): ObservedLease | null {
    return this.leases.get(keyOf(ref)) ?? null;
  }

  delete(ref: LeaseRef): void {
    const key = keyOf(ref);
    const before = this.peek(ref);
    if (!this.leases.delete(key)) return;
    this.requests.delete(key);
    this.revision++;
    this.changeSubject.next({ call: { verb: 'delete', ref, identity: '(test)' }, before, after: null });
    this.notify(key, null);
  }

  /** Calls served (or failed), by identity and verb; omit either to sum over it. */
  requestCount(identity?: string, verb?: StoreVerb): number {
    let total = 0;
    for (const [key, n] of this.counts) {
      const [who, what] = key.split('\u0000') as [string, string];
      if ((identity === undefined || who === identity) && (verb === undefined || what === verb)) total += n;
    }
    return total;
  }

  // ---- the calls MemoryLeaseLock makes ---------------------------------------------------------

  async call(
    call: StoreCall,
    signal: AbortSignal | undefined,
    apply: () => ObservedLease,
  ): Promise<ObservedLease> {
    const key = `${call.identity}\u0000${call.verb}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const latency = this.latencyOf(call);
    const context = { lease: keyOf(call.ref), identity: call.identity };
    await this.wait(latency / 2, signal);
    if (this.partitioned.has(call.identity)) {
      throw new LeaseUnavailableError(`${call.verb}: the lease store is unreachable (partitioned)`, context);
    }
    const fault = this.takeFault(call);
    if (fault && !fault.afterApply) throw leaseApiError(fault.kind, `${call.verb}: injected ${fault.kind}`, context);
    const result = apply();
    await this.wait(latency / 2, signal);
    if (fault) throw leaseApiError(fault.kind, `${call.verb}: injected ${fault.kind} after commit`, context);
    if (this.partitioned.has(call.identity)) {
      throw new LeaseUnavailableError(`${call.verb}: response lost (partitioned)`, context);
    }
    return result;
  }

  read(ref: LeaseRef): ObservedLease | null {
    return this.peek(ref);
  }

  /** Commits `spec` as the new state of the lease; returns what a reader now sees. */
  commit(call: StoreCall, spec: unknown): ObservedLease {
    const key = keyOf(call.ref);
    const before = this.peek(call.ref);
    const after = observe(spec, String(++this.revision));
    if (before && settlesHandOverRequest(before.record.holderIdentity, before.handOverTo, after.record.holderIdentity)) this.requests.delete(key);
    const request = handOverRequest(this.requests.get(key) ?? {});
    if (request !== undefined) after.handOverTo = request;
    this.leases.set(key, after);
    this.changeSubject.next({ call, before, after });
    this.notify(key, after);
    return after;
  }

  /**
   * Current state, then every change, for one lease. A dropped or partitioned stream reports
   * 'down' and reconnects after `watchReconnectDelay`, announcing itself with the current state.
   */
  watch(ref: LeaseRef, identity: string): Observable<LeaseWatchEvent> {
    return new Observable<LeaseWatchEvent>((subscriber) => {
      const key = keyOf(ref);
      let closed = false;
      let reconnect: TimerHandle | undefined;
      /** When the last event sent is delivered: a stream delivers in order, as a Kubernetes watch does. */
      let lastDelivery = Number.NEGATIVE_INFINITY;
      const send = (event: LeaseWatchEvent) => {
        // Delivery is asynchronous, as over a network: never inside the writer's call stack.
        const latency = this.latencyOf({ verb: 'get', ref, identity });
        const deliver = () => !closed && subscriber.next(event);
        const now = this.clock.now();
        lastDelivery = Math.max(now + latency / 2, lastDelivery);
        if (lastDelivery > now) this.clock.setTimeout(deliver, lastDelivery - now);
        else queueMicrotask(deliver);
      };
      const stream: WatchStream = {
        identity,
        deliver: send,
        drop: () => {
          this.watchers.get(key)?.delete(stream);
          send({ type: 'down', error: new LeaseUnavailableError('watch: stream dropped', { lease: key, identity }) });
          reconnect = this.clock.setTimeout(attach, this.watchReconnectDelay);
        },
      };
      const attach = () => {
        if (closed) return;
        if (this.partitioned.has(identity)) {
          send({ type: 'down', error: new LeaseUnavailableError('watch: partitioned', { lease: key, identity }) });
          reconnect = this.clock.setTimeout(attach, this.watchReconnectDelay);
          return;
        }
        const set = this.watchers.get(key) ?? new Set<WatchStream>();
        this.watchers.set(key, set);
        set.add(stream);
        send({ type: 'observed', lease: this.peek(ref) });
      };
      attach();
      return () => {
        closed = true;
        if (reconnect !== undefined) this.clock.clearTimeout(reconnect);
        this.watchers.get(key)?.delete(stream);
      };
    });
  }

  private notify(key: string, lease: ObservedLease | null): void {
    for (const stream of this.watchers.get(key) ?? []) stream.deliver({ type: 'observed', lease });
  }

  private takeFault(call: StoreCall): InjectedFault<StoreCall> | undefined {
    return this.faults.take(call) ?? this.faultPolicy?.(call);
  }

  private wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const handle = this.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.clock.clearTimeout(handle);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A spec as a reader sees it: may be malformed when injected with putRaw(). */
function observe(spec: unknown, resourceVersion: string): ObservedLease {
  const lease: ObservedLease = { record: leaseSpecToLockRecord(spec), resourceVersion };
  if (!isWellFormedSpec(spec)) lease.malformed = true;
  return lease;
}

interface WatchStream {
  identity: string;
  deliver(event: LeaseWatchEvent): void;
  drop(): void;
}
