/**
 * The processes of a simulated cluster: one real facade each (PrimaryLease or LeaderElector), on
 * its machine's skewed clock, with its leadership windows recorded on true time. What a process
 * does when it crashes, releases or is upgraded in place is what its facade's users do.
 */
import { LeaderElector } from '../api/leaderElector.js';
import { PrimaryLease } from '../api/primaryLease.js';
import type { LeaseTiming } from '../lease/config.js';
import type { LeaseLock } from '../ports/leaseLock.js';
import { followLeadership, type ParticipantActor, type ParticipantRuntimeOptions } from '../runtime/participant.js';
import type { SkewedClock } from '../time/skewedClock.js';
import type { LeadershipWindow, SimRecorder } from './record.js';
import type { SimParticipant } from './schedule.js';

export interface SimProcess {
  /** Which process this is (a restart is a new process with the same identity). */
  serial: number;
  slot: number;
  participant: SimParticipant;
  clock: SkewedClock;
  /** Running (not crashed, released or exited). */
  alive: boolean;
  /** The window open now, or the last one. */
  window?: LeadershipWindow;
  /** Dies at once, without releasing. */
  stop(): void;
  /** Graceful shutdown: releases, then exits. */
  release(): void;
  /** Hands the lease to its successor with the same identity (started by `restart`) and exits. */
  upgrade(restart: () => void): void;
  /** A candidate watching the lease, ready to take it the moment it is released. */
  watching(): boolean;
  /** A leader whose renew is on the wire. */
  renewing(): boolean;
  /** Hands the lease to `to` (handOver(to)); a refusal or failure is logged, as a caller would. */
  handOver(to: string): void;
}

export interface ProcessSetup {
  serial: number;
  slot: number;
  participant: SimParticipant;
  clock: SkewedClock;
  lock: LeaseLock;
  timing: LeaseTiming;
  runtime: ParticipantRuntimeOptions;
  recorder: SimRecorder;
  /** The process exited on its own (a fatal preemption, an elector's Run returning): its pod restarts it. */
  onExit(process: SimProcess): void;
}

export function startProcess(setup: ProcessSetup): SimProcess {
  const { participant, clock, recorder } = setup;
  recorder.log(participant.identity, `starts (${participant.kind}, clock offset ${participant.offset} ms, rate ${participant.rate})`, clock);
  return participant.kind === 'primary' ? startPrimary(setup) : startElector(setup);
}

/** CloudNativePG's instance manager: acquires, and exits on a fatal preemption. */
function startPrimary(setup: ProcessSetup): SimProcess {
  const { lock, runtime, timing, participant, recorder, clock } = setup;
  const primary = new PrimaryLease({ lock, ...runtime });
  const process = describe(setup, primary.actor, {
    stop: () => primary.stop(),
    release: () => void primary.release().catch(() => undefined).finally(() => primary.stop()),
    upgrade: (restart) => {
      primary.setUpgrading(true);
      restart();
    },
    handOver: (to) => primary.handOver(to),
  });
  primary.onFatal((error) => {
    recorder.log(participant.identity, `fatal: ${error.message}`, clock);
    setup.onExit(process);
  });
  primary.acquire(timing).catch(() => undefined); // a stopped process's acquire rejects: expected
  return process;
}

/** An operator replica on client-go's elector: Run once, release on shutdown; its pod restarts it. */
function startElector(setup: ProcessSetup): SimProcess {
  const { lock, runtime, timing } = setup;
  const controller = new AbortController();
  const elector = new LeaderElector({
    lock,
    ...timing,
    releaseOnCancel: true,
    callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
    ...runtime,
  });
  const process = describe(setup, elector.actor, {
    stop: () => {
      if (elector.actor.getSnapshot().status === 'active') elector.actor.send({ type: 'STOP' });
    },
    release: () => controller.abort(),
    upgrade: (restart) => restart(),
    handOver: (to) => elector.handOver(to),
  });
  void elector.run({ signal: controller.signal }).then(() => setup.onExit(process));
  return process;
}

function describe(
  { serial, slot, participant, clock, recorder }: ProcessSetup,
  actor: ParticipantActor,
  acts: Pick<SimProcess, 'stop' | 'release' | 'upgrade'> & { handOver(to: string): Promise<void> },
): SimProcess {
  const process: SimProcess = {
    serial,
    slot,
    participant,
    clock,
    alive: true,
    ...acts,
    handOver: (to) =>
      void acts.handOver(to).then(
        () => recorder.log(participant.identity, `handed over to ${to}`, clock),
        (error: Error) => recorder.log(participant.identity, `hand-over to ${to} failed: ${error.message}`, clock),
      ),
    watching: () => {
      const snapshot = actor.getSnapshot();
      return snapshot.matches({ acquiring: 'waiting' }) && snapshot.context.watchUp;
    },
    renewing: () => actor.getSnapshot().matches('renewing'),
  };
  followLeadership(actor, {
    opened: (term) => {
      process.window = recorder.windowOpened(serial, participant.identity, term);
      recorder.log(participant.identity, `leads, term ${term}`, clock);
    },
    closed: (why) => {
      if (process.window) process.window.end = recorder.since();
      recorder.log(participant.identity, `stops leading (${why})`, clock);
    },
  });
  return process;
}
