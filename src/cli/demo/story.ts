/**
 * `leasehold demo` (what `npm start` runs): three instance managers compete for one primary lease
 * in real time with short timings, and the timeline shows the moments that matter: the first
 * election, a graceful hand-over (a release: whoever wins the race leads), a switchover to a chosen
 * pod (handOver: that pod leads), a crash failover and an in-place upgrade. With `loop` (the live
 * view), it then hands the lease on every few seconds, by release and by switchover in turn,
 * until `signal` aborts.
 */
import { PrimaryLease } from '../../api/primaryLease.js';
import { formatDuration } from '../../lease/duration.js';
import type { LeaseRecord, LeaseRef } from '../../lease/record.js';
import type { Inspector } from '../../runtime/options.js';
import type { Clock } from '../../time/clock.js';
import { realClock } from '../../time/realClock.js';
import { type DemoBackend, embeddedServerBackend } from './backend.js';

const TIMING = { leaseDuration: 3_000, renewDeadline: 2_000, retryPeriod: 1_000 };
const LIMIT = 30_000;

export interface DemoFigures {
  firstElection: number;
  handOver: number;
  /** From handOver(to) to `to` leading. */
  switchover: number;
  failoverAfterLastRenew: number;
  upgradeTransitionsAdded: number;
  sawEmptyHolder: boolean;
}

interface DemoOptions {
  clock?: Clock;
  print?: (line: string) => void;
  /** Default: the embedded API server, over HTTP, as in production. */
  backend?: DemoBackend;
  /** XState inspection for every participant (the Stately inspector, the live view). */
  inspect?: Inspector;
  /** Called with every participant started; a replacement comes with the same identity. */
  onParticipant?: (identity: string, participant: PrimaryLease) => void;
  /** Every change of the lease the demo's observer sees, and the local time it saw it. */
  onLeaseObserved?: (record: LeaseRecord, at: number) => void;
  /** After the story, keep handing the lease over until `signal` aborts. */
  loop?: boolean;
  /** Ends the demo: during the story it stops everyone and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export async function demo({ clock = realClock, print = console.log, backend, ...hooks }: DemoOptions = {}): Promise<DemoFigures> {
  const leases = backend ?? (await embeddedServerBackend(clock));
  try {
    return await story(leases, clock, print, hooks);
  } finally {
    await leases.close();
  }
}

type StoryHooks = Pick<DemoOptions, 'inspect' | 'onParticipant' | 'onLeaseObserved' | 'loop' | 'signal'>;

async function story(store: DemoBackend, clock: Clock, print: (line: string) => void, hooks: StoryHooks): Promise<DemoFigures> {
  const ref: LeaseRef = { namespace: 'default', name: 'cluster-example' };
  const started = clock.now();
  const say = (line: string) => print(`${((clock.now() - started) / 1000).toFixed(3).padStart(7)}s  ${line}`);
  const { signal } = hooks;
  /** Sleeps `ms`, or less when `signal` aborts. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = clock.setTimeout(done, ms);
      function done() {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  /** A step of the story: rejects with the signal's reason once it aborts. */
  const step = async (ms: number) => {
    await pause(ms);
    signal?.throwIfAborted();
  };
  // An observer's view of the lease, from its watch: what a kubectl get -w would show.
  let latest: LeaseRecord | undefined;
  let sawEmptyHolder = false;
  let watchingUpgrade = false;
  const observer = store
    .lockFor(ref, 'observer')
    .watch()
    .subscribe((event) => {
      if (event.type !== 'observed' || !event.lease) return;
      latest = event.lease.record;
      hooks.onLeaseObserved?.(latest, clock.now());
      sawEmptyHolder ||= watchingUpgrade && latest.holderIdentity === '';
    });
  const record = () => latest!;

  say(`leases live in ${store.description}`);
  say(`the operator creates lease ${ref.namespace}/${ref.name} (lease ${formatDuration(TIMING.leaseDuration)}, renew deadline ${formatDuration(TIMING.renewDeadline)}, retry ${formatDuration(TIMING.retryPeriod)})`);
  await store.createLease(ref, { holderIdentity: '', leaseDurationSeconds: 3, acquireTime: null, renewTime: null, leaseTransitions: 0 });

  const instances = new Map<string, PrimaryLease>();
  let finished = false;
  const start = (identity: string) => {
    const instance = new PrimaryLease({ lock: store.lockFor(ref, identity), clock, inspect: hooks.inspect });
    instances.set(identity, instance);
    hooks.onParticipant?.(identity, instance);
    return instance;
  };
  const join = (identity: string) => {
    const instance = start(identity);
    instance.acquire(TIMING).then(
      () => say(`${identity} is primary (term ${instance.term})`),
      (error: unknown) => finished || say(`${identity} gave up: ${String(error)}`),
    );
    return instance;
  };
  /** Waits until someone other than `except` is primary; returns who and how long it took. */
  const nextPrimary = async (except: string, since: number) => {
    for (;;) {
      const leader = [...instances].find(([id, p]) => id !== except && p.isLeader());
      if (leader) return { identity: leader[0], after: clock.now() - since };
      if (clock.now() - since > LIMIT) throw new Error('the demo ran out of time');
      await step(1);
    }
  };

  /** `from` hands the lease to `to` in one write (CloudNativePG's switchover); ms until `to` leads. */
  const switchOver = async (from: string, to: string) => {
    say(`${from} switches over to ${to}, a chosen pod: handOver("${to}") ends its own window, then names ${to} in one write`);
    const calledAt = clock.now();
    await instances.get(from)!.handOver(to, { signal });
    // handOver resolved on seeing the target's renew; the target leads once that renew's answer is in.
    const { identity, after } = await nextPrimary(from, calledAt);
    say(`switchover: ${identity} leads ${after} ms after handOver("${to}") (term ${instances.get(identity)!.term}); ${from} waits as a candidate`);
    return after;
  };

  try {
    for (const identity of ['pod-1', 'pod-2', 'pod-3']) join(identity);
    const first = await nextPrimary('', clock.now());
    say(`first election: ${first.identity} won in ${first.after} ms; the others watch the lease`);
    await step(2_000);

    say(`${first.identity} releases the lease (graceful shutdown)`);
    const releasedAt = clock.now();
    await instances.get(first.identity)!.release();
    const second = await nextPrimary(first.identity, releasedAt);
    say(`hand-over: ${second.identity} leads ${second.after} ms after the release (no waiting for expiry)`);
    instances.get(first.identity)!.stop();
    join(first.identity);
    await step(2_000);

    const chosen = [...instances.keys()].find((id) => id !== first.identity && id !== second.identity)!;
    const switchover = await switchOver(second.identity, chosen);
    await step(2_000);

    say(`${chosen} crashes: no release, its lease must expire`);
    const crashedAt = clock.now();
    const lastRenew = record().renewTime!;
    instances.get(chosen)!.stop();
    const third = await nextPrimary(chosen, crashedAt);
    const failover = clock.now() - lastRenew;
    say(`failover: ${third.identity} leads ${third.after} ms after the crash, ${failover} ms after the last renew (leaseDuration ${TIMING.leaseDuration} ms + ${failover - TIMING.leaseDuration} ms)`);
    join(chosen);
    await step(2_000);

    const upgrading = instances.get(third.identity)!;
    const transitionsBefore = record().leaseTransitions;
    say(`${third.identity} upgrades in place: it keeps the lease and exits; a new process with the same identity starts`);
    upgrading.setUpgrading(true);
    await upgrading.release(); // a no-op while upgrading
    watchingUpgrade = true;
    upgrading.stop();
    const successorStarted = clock.now();
    const successor = start(third.identity);
    await successor.acquire(TIMING, { signal });
    watchingUpgrade = false;
    say(
      `upgrade: the successor re-adopted the lease in ${clock.now() - successorStarted} ms; transitions ${transitionsBefore} -> ${record().leaseTransitions}; holder empty at any point: ${sawEmptyHolder ? 'yes' : 'no'}`,
    );

    for (let leader = third.identity, round = 0; hooks.loop && !signal?.aborted; round++) {
      await pause(2_000);
      if (signal?.aborted) break;
      if (round % 2 === 1) {
        // The next pod by name, so every pod is chosen in turn.
        const names = [...instances.keys()].sort();
        const to = names[(names.indexOf(leader) + 1) % names.length]!;
        await switchOver(leader, to);
        leader = to;
        continue;
      }
      say(`${leader} releases the lease`);
      const releasedAt = clock.now();
      await instances.get(leader)!.release();
      const next = await nextPrimary(leader, releasedAt);
      say(`hand-over: ${next.identity} leads ${next.after} ms after the release`);
      instances.get(leader)!.stop();
      join(leader);
      leader = next.identity;
    }
    say('done');
    return { firstElection: first.after, handOver: second.after, switchover, failoverAfterLastRenew: failover, upgradeTransitionsAdded: record().leaseTransitions - transitionsBefore, sawEmptyHolder };
  } finally {
    finished = true;
    observer.unsubscribe();
    for (const instance of instances.values()) instance.stop();
  }
}
