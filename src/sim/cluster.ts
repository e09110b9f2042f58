/**
 * A simulated cluster: N participants (the real PrimaryLease and LeaderElector facades, the real
 * machine) on one MemoryLeaseStore, each on its own skewed clock over one true VirtualClock, under a
 * schedule of faults. It records on true time every window in which a participant may act as
 * leader, every committed write, and a readable timeline; the invariants are checked elsewhere.
 */
import { isLeading } from '../../machines/leaseParticipant.js';
import { LeaderElector } from '../api/LeaderElector.js';
import { PrimaryLease } from '../api/PrimaryLease.js';
import type { LeaseRef } from '../lease/record.js';
import { MemoryLeaseStore } from '../lock/memoryLeaseStore.js';
import type { RuntimeOptions } from '../runtime/participant.js';
import { SkewedClock } from '../time/skewedClock.js';
import { VirtualClock } from '../time/virtualClock.js';
import { seededRandom } from './random.js';
import type { SimEvent, SimParticipant, SimSchedule } from './schedule.js';

export interface LeadershipWindow {
  /**
   * Closed by an explicit release while another live candidate was watching with no faults active:
   * the next window must open within one watch delivery and one write.
   */
  handOverExpected?: boolean;
  /** Which process (a restart is a new process with the same identity). */
  process: number;
  identity: string;
  /** True time, ms since the start. */
  start: number;
  /** True time it closed; Infinity if still open at the end. */
  end: number;
  term: number | null;
}

export interface CommittedWrite {
  at: number;
  by: string;
  verb: string;
  holderBefore: string | null;
  holderAfter: string | null;
  transitionsBefore: number | null;
  transitionsAfter: number | null;
}

export interface TimelineEntry {
  at: number;
  who: string;
  /** The participant's own clock at that moment, when it has one. */
  localAt?: number;
  what: string;
}

export interface SimRecord {
  schedule: SimSchedule;
  windows: LeadershipWindow[];
  writes: CommittedWrite[];
  timeline: TimelineEntry[];
  /** True time the quiet phase began. */
  quietAt: number;
  /** True time a leader first existed at or after quietAt (undefined: none by the end). */
  leaderAfterQuiet: number | undefined;
  end: number;
}

export interface SimOptions {
  /** Swaps machine implementations in every participant (the planted-bug variants). */
  implementations?: RuntimeOptions['implementations'];
  /** How long the quiet phase lasts; default 3 * leaseDuration. */
  quietFor?: number;
}

interface SimProcess {
  serial: number;
  slot: number;
  participant: SimParticipant;
  clock: SkewedClock;
  stop(): void;
  release(): void;
  upgrade(): void;
  /** Running (not crashed, released or exited). */
  alive: boolean;
  /** Candidate watching the lease, ready to take it the moment it is released. */
  watching(): boolean;
  window?: LeadershipWindow;
}

const ELECTOR_RESTART_DELAY = 1_000;

export async function runSimulation(schedule: SimSchedule, options: SimOptions = {}): Promise<SimRecord> {
  const truth = new VirtualClock(Date.UTC(2026, 0, 1));
  const epoch = truth.now();
  const since = () => truth.now() - epoch;
  const random = seededRandom(schedule.seed);
  const store = new MemoryLeaseStore(truth);
  const ref: LeaseRef = { namespace: 'sim', name: 'lease' };
  const { timing, faults } = schedule;
  const record: SimRecord = { schedule, windows: [], writes: [], timeline: [], quietAt: schedule.duration, leaderAfterQuiet: undefined, end: 0 };
  const log = (who: string, what: string, clock?: SkewedClock) =>
    record.timeline.push({ at: since(), who, what, ...(clock ? { localAt: clock.now() - epoch } : {}) });

  store.setLatency(() => faults.latency.min + random() * (faults.latency.max - faults.latency.min));
  store.setFaultPolicy(() => {
    const roll = random();
    if (roll < faults.unavailableRate) return { kind: 'Unavailable' };
    if (roll < faults.unavailableRate + faults.timeoutAfterCommitRate) return { kind: 'Unavailable', afterApply: true };
    if (roll < faults.unavailableRate + faults.timeoutAfterCommitRate + faults.conflictRate) return { kind: 'Conflict' };
    return undefined;
  });
  store.changes$.subscribe(({ call, before, after }) => {
    const write: CommittedWrite = {
      at: since(),
      by: call.identity,
      verb: call.verb,
      holderBefore: before?.record.holderIdentity ?? null,
      holderAfter: after?.record.holderIdentity ?? null,
      transitionsBefore: before?.record.leaseTransitions ?? null,
      transitionsAfter: after?.record.leaseTransitions ?? null,
    };
    record.writes.push(write);
    log(call.identity, `wrote holder=${JSON.stringify(write.holderAfter)} transitions=${write.transitionsAfter}`);
  });
  // The operator creates the lease, as CloudNativePG's does; electors would create it themselves.
  store.put(ref, { holderIdentity: '', leaseDurationSeconds: timing.leaseDuration / 1000, acquireTime: null, renewTime: null, leaseTransitions: 0 });

  const processes: (SimProcess | undefined)[] = [];
  let serial = 0;
  const runtime = (clock: SkewedClock): RuntimeOptions => ({
    clock,
    random,
    ...(options.implementations ? { implementations: options.implementations } : {}),
  });

  /** Records the leadership window of an actor from its snapshots: the same edges Participant uses. */
  function trackWindows(process: SimProcess, actor: PrimaryLease['actor']): void {
    let open: LeadershipWindow | undefined;
    const close = (why: string) => {
      if (!open) return;
      open.end = since();
      open = undefined;
      log(process.participant.identity, `stops leading (${why})`, process.clock);
    };
    process.watching = () => {
      const snapshot = actor.getSnapshot();
      return snapshot.matches({ acquiring: 'waiting' }) && snapshot.context.watchUp;
    };
    actor.subscribe({
      next: (snapshot) => {
        const leading = isLeading(snapshot);
        if (leading && !open) {
          open = { process: process.serial, identity: process.participant.identity, start: since(), end: Infinity, term: snapshot.context.term };
          process.window = open;
          record.windows.push(open);
          if (record.leaderAfterQuiet === undefined && since() >= record.quietAt) record.leaderAfterQuiet = since();
          log(process.participant.identity, `leads, term ${snapshot.context.term}`, process.clock);
        } else if (!leading && open) {
          close(String(JSON.stringify(snapshot.value)));
        }
      },
      complete: () => close('process ended'),
    });
  }

  // One clock per machine: a restarted process keeps its machine's offset and rate.
  const clocks = schedule.participants.map((p) => new SkewedClock(truth, p.offset, p.rate));

  function start(slot: number): SimProcess {
    // Identities are unique among live processes: a successor starts only once its predecessor is
    // gone (a pod is recreated after its container exits), so a lingering one is killed first.
    processes[slot]?.stop();
    const participant = schedule.participants[slot]!;
    const clock = clocks[slot]!;
    const lock = store.lockFor(ref, participant.identity);
    const process: SimProcess = {
      serial: ++serial,
      slot,
      participant,
      clock,
      alive: true,
      stop: () => {},
      release: () => {},
      upgrade: () => {},
      watching: () => false,
    };
    processes[slot] = process;
    log(participant.identity, `starts (${participant.kind}, clock offset ${participant.offset} ms, rate ${participant.rate})`, clock);
    if (participant.kind === 'primary') {
      const primary = new PrimaryLease({ lock, ...runtime(clock) });
      trackWindows(process, primary.actor);
      primary.onFatal((error) => {
        log(participant.identity, `fatal: ${error.message}`, clock);
        process.alive = false;
      });
      primary.acquire(timing).catch(() => undefined); // a stopped process's acquire rejects: expected
      process.stop = () => primary.stop();
      process.release = () => void primary.release().catch(() => undefined).finally(() => primary.stop());
      process.upgrade = () => {
        primary.setUpgrading(true);
        start(slot);
      };
    } else {
      const controller = new AbortController();
      const elector = new LeaderElector({
        lock,
        ...timing,
        releaseOnCancel: true,
        callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
        ...runtime(clock),
      });
      trackWindows(process, elector.actor);
      void elector.run({ signal: controller.signal }).then(() => {
        // Run is one-shot: after losing the lease the operator pod restarts and competes again.
        if (!process.alive || processes[slot] !== process) return;
        process.alive = false;
        truth.setTimeout(() => processes[slot] === process && start(slot), ELECTOR_RESTART_DELAY);
      });
      process.stop = () => {
        if (elector.actor.getSnapshot().status === 'active') elector.actor.send({ type: 'STOP' });
      };
      process.release = () => controller.abort();
      process.upgrade = () => start(slot);
    }
    return process;
  }

  const partitioned = new Set<string>();
  const faultFree = () =>
    partitioned.size === 0 && faults.unavailableRate === 0 && faults.timeoutAfterCommitRate === 0 && faults.conflictRate === 0;

  function apply(event: SimEvent): void {
    if (event.action === 'isolateLeader') {
      const slot = processes.findIndex((p) => p?.window?.end === Infinity);
      const story = event.story;
      if (slot < 0 || !story) return;
      apply({ at: since(), action: 'partition', target: slot });
      truth.setTimeout(() => since() < record.quietAt && apply({ at: since(), action: 'heal', target: slot }), story.cutOffFor);
      truth.setTimeout(
        () => since() < record.quietAt && apply({ at: since(), action: story.then, target: slot }),
        story.cutOffFor + story.after,
      );
      return;
    }
    const process = processes[event.target];
    const participant = schedule.participants[event.target]!;
    const who = participant.identity;
    switch (event.action) {
      case 'crash':
      case 'release':
        if (!process?.alive) return;
        log(who, event.action === 'crash' ? 'crashes' : 'releases and exits', process.clock);
        if (event.action === 'release' && process.window?.end === Infinity && faultFree()) {
          process.window.handOverExpected = processes.some((p) => p !== process && p?.alive && p.watching());
        }
        process.alive = false;
        if (event.action === 'crash') process.stop();
        else process.release();
        return;
      case 'restart':
        if (process?.alive) return;
        start(event.target);
        return;
      case 'upgrade':
        if (!process?.alive) return;
        log(who, 'upgrades in place', process.clock);
        process.alive = false;
        process.upgrade();
        return;
      case 'partition':
      case 'heal':
        log(who, event.action === 'partition' ? 'is partitioned from the API' : 'reconnects to the API');
        store.setPartitioned(who, event.action === 'partition');
        if (event.action === 'partition') partitioned.add(who);
        else partitioned.delete(who);
        return;
      case 'dropWatch':
        log(who, 'watch dropped');
        store.dropWatches((identity) => identity === who);
        return;
    }
  }

  schedule.participants.forEach((_, slot) => start(slot));
  for (const event of [...schedule.events].sort((a, b) => a.at - b.at)) {
    if (event.at >= schedule.duration) break;
    await truth.advanceTo(epoch + event.at);
    apply(event);
  }
  await truth.advanceTo(epoch + schedule.duration);

  // Quiet phase: faults off, everyone reconnected and running; a leader must appear.
  log('sim', 'quiet: faults off, all healed, dead processes restarted');
  store.setFaultPolicy(undefined);
  store.setLatency(faults.latency.min);
  schedule.participants.forEach((participant, slot) => {
    store.setPartitioned(participant.identity, false);
    if (!processes[slot]?.alive) start(slot);
  });
  if (record.windows.some((w) => w.end === Infinity)) record.leaderAfterQuiet = since();
  await truth.advanceTo(epoch + schedule.duration + (options.quietFor ?? 3 * timing.leaseDuration));
  record.end = since();
  for (const process of processes) process?.stop();
  await truth.advance(0);
  return record;
}
