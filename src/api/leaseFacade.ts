/**
 * What every single-lease facade (PrimaryLease, LeaderElector, LeaseLocker) shares, under one set
 * of names: `isLeader()`, `leadershipSignal`, `term`, `leadingSince`, `stop()`, `actor`, `state$`.
 */
import type { Observable } from 'rxjs';
import type { Participant, ParticipantActor, ParticipantSnapshot } from '../runtime/participant.js';

/** The `{ signal }` bag every call that can be cancelled takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

export abstract class LeaseFacade {
  /** The participant now competing (LeaseLocker replaces a stopped one when locking again). */
  protected abstract get participant(): Participant;

  /** The participant's XState actor (inspection, tests). */
  get actor(): ParticipantActor {
    return this.participant.actor;
  }

  /** The current snapshot, then every change. */
  get state$(): Observable<ParticipantSnapshot> {
    return this.participant.state$;
  }

  /** True while this identity may act as leader: it holds the lease and its window is open. */
  isLeader(): boolean {
    return this.participant.leading;
  }

  /** Aborts the moment the current leadership window closes; undefined when not leading. */
  get leadershipSignal(): AbortSignal | undefined {
    return this.participant.leadershipSignal;
  }

  /** Fencing token: the lease's leaseTransitions for the current tenure; null when not leading. */
  get term(): number | null {
    return this.participant.leading ? this.participant.snapshot.context.term : null;
  }

  /** Local time (epoch ms) the current tenure began; null when not leading. */
  get leadingSince(): number | null {
    return this.participant.leading ? this.participant.snapshot.context.heldSince : null;
  }

  /**
   * Hands the lease to the participant named `to`, in one write: our window closes first (the
   * leadership signal aborts), then the lease is written naming `to` (transitions + 1, fresh
   * times); `to`, seeing itself named, confirms with its own renew and leads. Resolves once it
   * does; rejects with HandOverError (its `reason` says why: not leading, bad target, conflict,
   * store failure, overtaken, timeout after leaseDuration, stopped, aborted). What this facade does
   * afterwards is in its own documentation.
   */
  handOver(to: string, { signal }: CallOptions = {}): Promise<void> {
    return this.participant.handOver(to, signal);
  }

  /** Stops at once without releasing: the lease expires by itself (or a successor with our identity re-adopts it). */
  stop(): void {
    this.participant.stop();
  }
}
