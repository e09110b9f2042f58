/**
 * A simulated cluster: N participants (the real PrimaryLease and LeaderElector facades, the real
 * machine) on one MemoryLeaseStore, each on its own skewed clock over one true VirtualClock, under a
 * schedule of faults. A run is three steps: the faulty phase plays the schedule's events, the quiet
 * phase turns every fault off and restarts the dead, and the record (record.ts) holds what
 * happened on true time; the invariants are checked elsewhere (invariants.ts).
 */
import { formatMicroTime } from '../lease/microTime.js';
import { INT32_MAX, type LeaseRef } from '../lease/record.js';
import { MemoryLeaseStore, type StoreChange } from '../memory/leaseStore.js';
import type { ParticipantRuntimeOptions } from '../runtime/participant.js';
import { SkewedClock } from '../time/skewedClock.js';
import { VirtualClock } from '../time/virtualClock.js';
import { startProcess, type SimProcess } from './processes.js';
import { seededRandom } from './random.js';
import { SimRecorder, THIRD_PARTY, type SimRecord } from './record.js';
import type { HandOverStory, SimEvent, SimSchedule, ThirdPartyWrite } from './schedule.js';

export type { CommittedWrite, LeadershipWindow, SimRecord, TimelineEntry } from './record.js';

export interface SimOptions {
  /** Swaps machine implementations in every participant (the planted-bug variants). */
  implementations?: ParticipantRuntimeOptions['implementations'];
  /** How long the quiet phase lasts; default 3 * leaseDuration. */
  quietFor?: number;
}

/** A pod restarts this long after its process exited on its own. */
const RESTART_DELAY = 1_000;
const LEASE: LeaseRef = { namespace: 'sim', name: 'lease' };

export async function runSimulation(schedule: SimSchedule, options: SimOptions = {}): Promise<SimRecord> {
  const cluster = new SimulatedCluster(schedule, options);
  await cluster.playFaultyPhase();
  await cluster.playQuietPhase(options.quietFor ?? 3 * schedule.timing.leaseDuration);
  return cluster.finish();
}

class SimulatedCluster {
  private readonly truth = new VirtualClock(Date.UTC(2026, 0, 1));
  private readonly store = new MemoryLeaseStore(this.truth);
  private readonly recorder: SimRecorder;
  private readonly random: () => number;
  /** One clock per machine: a restarted process keeps its machine's offset and rate. */
  private readonly clocks: SkewedClock[];
  private readonly processes: (SimProcess | undefined)[] = [];
  private readonly partitioned = new Set<string>();
  private serial = 0;
  /** The stored leaseTransitions as a number, whatever type it was written with. */
  private storedTerm: number | null = null;
  /** The term a third-party write about to be committed stores (its spec may not be a number). */
  private thirdPartyTerm = 0;
  /** Faults are off: the quiet phase. */
  private quiet = false;

  constructor(
    private readonly schedule: SimSchedule,
    private readonly options: SimOptions,
  ) {
    this.recorder = new SimRecorder(this.truth, schedule);
    this.random = seededRandom(schedule.seed);
    this.clocks = schedule.participants.map((p) => new SkewedClock(this.truth, p.offset, p.rate));
    this.injectFaults();
    this.store.changes$.subscribe((change) => this.recordWrite(change));
    // The operator creates the lease, as CloudNativePG's does; electors would create it themselves.
    this.store.put(LEASE, {
      holderIdentity: '',
      leaseDurationSeconds: schedule.timing.leaseDuration / 1000,
      acquireTime: null,
      renewTime: null,
      leaseTransitions: 0,
    });
  }

  /** Every participant starts; the schedule's events strike in time order until its duration. */
  async playFaultyPhase(): Promise<void> {
    this.schedule.participants.forEach((_, slot) => this.start(slot));
    for (const event of [...this.schedule.events].sort((a, b) => a.at - b.at)) {
      if (event.at >= this.schedule.duration) break;
      await this.truth.advanceTo(this.recorder.at(event.at));
      this.apply(event);
    }
    await this.truth.advanceTo(this.recorder.at(this.schedule.duration));
  }

  /** Faults off, everyone reconnected and running: a leader must appear. */
  async playQuietPhase(quietFor: number): Promise<void> {
    this.recorder.log('sim', 'quiet: faults off, all healed, dead processes restarted');
    this.store.setFaultPolicy(undefined);
    this.store.setLatency(this.schedule.faults.latency.min);
    this.schedule.participants.forEach((participant, slot) => {
      this.store.setPartitioned(participant.identity, false);
      if (!this.processes[slot]?.alive) this.start(slot);
    });
    this.recorder.quiet();
    this.quiet = true;
    // The quiet phase's own events, in time order: a hand-over to a watching candidate, a graceful shutdown of the leader.
    const { quietHandOver, quietRelease } = this.schedule;
    const acts = [
      ...(quietHandOver ? [{ after: quietHandOver.after, act: () => this.handOverToWatcher(quietHandOver.via) }] : []),
      ...(quietRelease ? [{ after: quietRelease.after, act: () => this.releaseLeader() }] : []),
    ].filter(({ after }) => after < quietFor);
    for (const { after, act } of acts.sort((a, b) => a.after - b.after)) {
      await this.truth.advanceTo(this.recorder.at(this.schedule.duration + after));
      act();
    }
    await this.truth.advanceTo(this.recorder.at(this.schedule.duration + quietFor));
  }

  /** Whoever leads hands the lease to a live candidate watching it (none: nothing happens). */
  private handOverToWatcher(via: HandOverStory['via']): void {
    const to = this.processes.findIndex((p) => p?.alive && p.watching());
    if (to >= 0) this.handOver({ at: this.recorder.since(), action: 'handOver', target: to, handOver: { via, target: 'alive' } });
  }

  /** Whoever leads shuts down gracefully: releases, then exits (no leader: nothing happens). */
  private releaseLeader(): void {
    const from = this.processes.findIndex((p) => p?.alive && p.window?.end === Infinity);
    if (from >= 0) this.apply({ at: this.recorder.since(), action: 'release', target: from });
  }

  async finish(): Promise<SimRecord> {
    const record = this.recorder.finish();
    for (const process of this.processes) process?.stop();
    await this.truth.advance(0);
    return record;
  }

  /** Per-call faults and latency, drawn from the schedule's seeded randomness. */
  private injectFaults(): void {
    const { latency, unavailableRate, timeoutAfterCommitRate, conflictRate } = this.schedule.faults;
    this.store.setLatency(() => latency.min + this.random() * (latency.max - latency.min));
    this.store.setFaultPolicy(() => {
      const roll = this.random();
      if (roll < unavailableRate) return { kind: 'Unavailable' };
      if (roll < unavailableRate + timeoutAfterCommitRate) return { kind: 'Unavailable', afterApply: true };
      if (roll < unavailableRate + timeoutAfterCommitRate + conflictRate) return { kind: 'Conflict' };
      return undefined;
    });
  }

  private recordWrite({ call, before, after }: StoreChange): void {
    const thirdParty = call.identity === THIRD_PARTY;
    const holderBefore = before?.record.holderIdentity ?? null;
    const transitionsAfter = thirdParty ? this.thirdPartyTerm : (after?.record.leaseTransitions ?? null);
    const holderAfter = after?.record.holderIdentity ?? null;
    // A participant writing the lease to someone else is a hand-over (a claim names the writer, a release "").
    const handedTo = !thirdParty && holderAfter && holderAfter !== call.identity ? holderAfter : null;
    const target = handedTo === null ? undefined : this.processes.find((p) => p?.alive && p.participant.identity === handedTo);
    this.recorder.write({
      by: call.identity,
      verb: call.verb,
      holderBefore,
      holderAfter: after?.record.holderIdentity ?? null,
      transitionsBefore: this.storedTerm,
      transitionsAfter,
      thirdParty,
      holderWatching: thirdParty && holderBefore !== null && this.store.isWatching(LEASE, holderBefore),
      malformed: after?.malformed === true,
      ...(handedTo === null
        ? {}
        : { targetWatching: (this.quiet || this.faultFree) && target !== undefined && target.watching() && this.store.isWatching(LEASE, handedTo) }),
    });
    this.storedTerm = transitionsAfter;
  }

  /**
   * Another client writes the lease raw, whoever holds it: what kubectl edit or a peer with bugs
   * can leave there. Its term relative to the stored one decides leaseTransitions.
   */
  private writeAsThirdParty(write: ThirdPartyWrite): void {
    const holder = this.store.peek(LEASE)?.record.holderIdentity ?? '';
    const term = this.storedTerm ?? 0;
    // No API server stores a leaseTransitions beyond the int32 maximum, whatever its type.
    const within = (value: number) => Math.min(INT32_MAX, value);
    const terms = { kept: term, next: within(term + 1), string: within(term + 1), fraction: within(term + 0.5), max: INT32_MAX };
    this.thirdPartyTerm = terms[write.transitions];
    const now = formatMicroTime(this.truth.now());
    const spec: Record<string, unknown> = {
      holderIdentity: { nobody: '', intruder: 'intruder', same: holder, wrongType: 7 }[write.holder],
      acquireTime: now,
      renewTime: now,
      leaseTransitions: write.transitions === 'string' ? String(this.thirdPartyTerm) : this.thirdPartyTerm,
    };
    if (write.duration !== 'missing') {
      spec.leaseDurationSeconds = write.duration === 'zero' ? 0 : write.duration === 'string' ? '15' : write.duration;
    }
    this.recorder.log('third party', `writes ${JSON.stringify(spec)}`);
    this.store.putRaw(LEASE, spec);
  }

  private get faultFree(): boolean {
    const { unavailableRate, timeoutAfterCommitRate, conflictRate } = this.schedule.faults;
    return this.partitioned.size === 0 && unavailableRate === 0 && timeoutAfterCommitRate === 0 && conflictRate === 0;
  }

  /**
   * Starts the process of `slot`. Identities are unique among live processes: a successor starts
   * only once its predecessor is gone (a pod is recreated after its container exits), so a
   * lingering one is killed first.
   */
  private start(slot: number): SimProcess {
    this.processes[slot]?.stop();
    const participant = this.schedule.participants[slot]!;
    const process = startProcess({
      serial: ++this.serial,
      slot,
      participant,
      clock: this.clocks[slot]!,
      lock: this.store.lockFor(LEASE, participant.identity),
      timing: this.schedule.timing,
      runtime: {
        clock: this.clocks[slot]!,
        random: this.random,
        ...(this.options.implementations ? { implementations: this.options.implementations } : {}),
      },
      recorder: this.recorder,
      onExit: (exited) => this.restartLater(exited),
    });
    this.processes[slot] = process;
    return process;
  }

  /**
   * A process that exits on its own is restarted by its pod, as the kubelet does: an elector's Run
   * is one-shot, and an instance manager exits on a fatal preemption.
   */
  private restartLater(exited: SimProcess): void {
    if (!exited.alive || this.processes[exited.slot] !== exited) return;
    exited.alive = false;
    this.truth.setTimeout(() => this.processes[exited.slot] === exited && this.start(exited.slot), RESTART_DELAY);
  }

  private apply(event: SimEvent): void {
    if (event.action === 'handOver') return this.handOver(event); // what it strikes with counts, not the hand-over
    this.recorder.disturbed();
    if (event.action === 'isolateLeader') return this.isolateLeader(event);
    const process = this.processes[event.target];
    const who = this.schedule.participants[event.target]!.identity;
    switch (event.action) {
      case 'crash':
      case 'release':
        if (!process?.alive) return;
        this.recorder.log(who, event.action === 'crash' ? 'crashes' : 'releases and exits', process.clock);
        if (event.action === 'release' && process.window?.end === Infinity && (this.quiet || this.faultFree)) {
          process.window.handOverExpected = this.processes.some((p) => p !== process && p?.alive && p.watching());
          process.window.releasedWhileRenewing = process.renewing();
        }
        process.alive = false;
        if (event.action === 'crash') process.stop();
        else process.release();
        return;
      case 'restart':
        if (!process?.alive) this.start(event.target);
        return;
      case 'upgrade':
        if (!process?.alive) return;
        this.recorder.log(who, 'upgrades in place', process.clock);
        process.alive = false;
        process.upgrade(() => this.start(event.target));
        return;
      case 'partition':
      case 'heal':
        this.recorder.log(who, event.action === 'partition' ? 'is partitioned from the API' : 'reconnects to the API');
        this.store.setPartitioned(who, event.action === 'partition');
        if (event.action === 'partition') this.partitioned.add(who);
        else this.partitioned.delete(who);
        return;
      case 'dropWatch':
        this.recorder.log(who, 'watch dropped');
        this.store.dropWatches((identity) => identity === who);
        return;
      case 'thirdParty':
        if (event.write) this.writeAsThirdParty(event.write);
        return;
    }
  }

  /**
   * Whoever leads now hands the lease to the target (the next one if the target leads), asked by a
   * call or by a request on the lease; the target is crashed or partitioned first, or the leader
   * releases at once as well, as the story says.
   */
  private handOver({ target, handOver: story }: SimEvent): void {
    const from = this.processes.findIndex((p) => p?.alive && p.window?.end === Infinity);
    if (from < 0 || !story) return;
    const slot = target === from ? (target + 1) % this.schedule.participants.length : target;
    const to = this.schedule.participants[slot]!.identity;
    const leader = this.processes[from]!;
    if (story.target === 'dead') this.apply({ at: this.recorder.since(), action: 'crash', target: slot });
    if (story.target === 'partitioned') this.apply({ at: this.recorder.since(), action: 'partition', target: slot });
    this.recorder.log(leader.participant.identity, `asked to hand over to ${to} (${story.via}, target ${story.target})`, leader.clock);
    if (story.via === 'call') {
      leader.handOver(to);
    } else {
      this.thirdPartyTerm = this.storedTerm ?? 0; // a request keeps the stored term
      this.store.requestHandOver(LEASE, to, story.via);
    }
    // The release goes out while the hand-over is on the wire (or its request on the way to the leader).
    if (story.target === 'competingRelease') {
      this.truth.setTimeout(() => this.apply({ at: this.recorder.since(), action: 'release', target: from }), this.schedule.faults.latency.max / 2);
    }
  }

  /** A story: whoever leads now is cut off, comes back, then does `story.then`. */
  private isolateLeader({ story }: SimEvent): void {
    const slot = this.processes.findIndex((p) => p?.window?.end === Infinity);
    if (slot < 0 || !story) return;
    const later = (action: SimEvent['action'], after: number) =>
      this.truth.setTimeout(() => {
        const now = this.recorder.since();
        if (now < this.recorder.record.quietAt) this.apply({ at: now, action, target: slot });
      }, after);
    this.apply({ at: this.recorder.since(), action: 'partition', target: slot });
    later('heal', story.cutOffFor);
    later(story.then, story.cutOffFor + story.after);
  }
}
