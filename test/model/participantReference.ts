/**
 * An independent reference for the lease participant, restated from the rules in README ("The
 * participant machine": its state table; "What it guarantees"), DESIGN.md ("The lease participant
 * machine") and ANCHORS §1 and §4 (the records written), not from machines/leaseParticipant.ts:
 * given what a participant has seen, one event and the local time, where it must be next, which
 * store call it must send (the record it writes and the version it writes over) and whether its
 * leadership window is open. The model-based test steps it beside the real actor and compares.
 *
 * Its own bookkeeping of time: every wait a state starts (renew interval, renew deadline, poll,
 * takeover, hand-over and release time-outs) is a timer here, due when the rules say; the test
 * fires the real clock's timers one by one and this reference's at the same instants.
 *
 * Assumptions of the harness: no jitter (the poll interval is retryPeriod), resourceVersions are
 * integers, and the store answers only when the test says (no request time-outs of its own).
 */
import type { ParticipantConfig } from '../../src/lease/config.js';
import type { LeaseErrorKind } from '../../src/lease/errors.js';
import { INT32_MAX, type LeaseRecord, type ObservedLease } from '../../src/lease/record.js';

/** A store call as the participant sends it. */
export type Call =
  | { verb: 'get' }
  | { verb: 'create'; record: LeaseRecord }
  | { verb: 'update'; record: LeaseRecord; resourceVersion: string };

export type Outcome = { lease: ObservedLease; at?: number } | { error: LeaseErrorKind };

/** The events the participant takes (the machine's public events, stamped with local time). */
export type ReferenceEvent =
  | { type: 'ACQUIRE' | 'RELEASE' | 'STOP' | 'UPGRADE_STARTED' | 'UPGRADE_ABORTED' }
  | { type: 'HAND_OVER'; to: string }
  | { type: 'LEASE_OBSERVED'; lease: ObservedLease | null }
  | { type: 'WATCH_DOWN' };

interface Timer {
  /** The state whose wait it is: leaving that state cancels it. */
  owner: string;
  name: 'renewInterval' | 'renewDeadline' | 'poll' | 'takeover' | 'handOverTimeout' | 'releaseTimeout';
  dueAt: number;
  serial: number;
}

const FOREVER = Number.POSITIVE_INFINITY;
const seconds = (ms: number) => Math.floor(ms / 1000);
const version = (lease: ObservedLease) => Number(lease.resourceVersion);

/** `lease` was written after `than` (a deletion after anything). */
const isNewer = (lease: ObservedLease | null, than: ObservedLease | null) =>
  than === null ? lease !== null : lease === null || version(lease) > version(than);

/** client-go's test for a change: the record, not its metadata. */
const sameRecord = (a: LeaseRecord, b: LeaseRecord) =>
  a.holderIdentity === b.holderIdentity &&
  a.leaseDurationSeconds === b.leaseDurationSeconds &&
  a.acquireTime === b.acquireTime &&
  a.renewTime === b.renewTime &&
  a.leaseTransitions === b.leaseTransitions;

/** The nodes of a state path, outermost first: 'renewing.attempt' -> ['renewing', 'renewing.attempt']. */
const nodesOf = (path: string) => path.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'));

export class ReferenceParticipant {
  path = 'idle';
  private now = 0;
  private watchUp = false;
  private upgrading = false;
  private observed: ObservedLease | null = null;
  /** Local time the record last changed (client-go's observedTime). */
  private observedAt: number | null = null;
  /** Local time it was last seen, changed or not. */
  private seenAt: number | null = null;
  /** The takeover instant the waiting timer was set for. */
  private armedFor: number | null = null;
  /** Send time of this tenure's last landed write: the window closes renewDeadline later. */
  private lastRenewAt: number | null = null;
  private heldSince: number | null = null;
  /** Leadership was lost since it last led (CloudNativePG: any holder seen then is fatal). */
  private lost = false;
  private handOverTo: string | undefined;
  private timers: Timer[] = [];
  private serial = 0;
  /** The call in flight (one at a time): its state, and when it was sent. */
  private inFlight: { owner: string; call: Call; sentAt: number } | undefined;
  /** Calls sent since the last `takeCalls()`. */
  private sent: Call[] = [];
  /** Every rule taken: "state · what happened → state". */
  readonly taken = new Set<string>();

  constructor(
    private readonly identity: string,
    private readonly config: ParticipantConfig,
  ) {}

  /** The calls sent since last asked. */
  takeCalls(): Call[] {
    return this.sent.splice(0);
  }

  /** The leadership window is open: a held state and a landed write of this tenure (README: "leading", "renewing"). */
  get windowOpen(): boolean {
    return (this.path === 'leading' || this.path.startsWith('renewing')) && this.lastRenewAt !== null;
  }

  /** renewDeadline after the last landed write was sent; while adopting, after the lease was last seen. */
  windowCloses(): number {
    return (this.lastRenewAt ?? this.seenAt ?? Number.NEGATIVE_INFINITY) + this.config.renewDeadline;
  }

  /** What the call in flight is (for the test to answer the right one). */
  get callInFlight(): Call | undefined {
    return this.inFlight?.call;
  }

  // ---- events ----------------------------------------------------------------------------------

  send(event: ReferenceEvent, now: number): void {
    this.now = now;
    if (this.path === 'stopped') return;
    const before = this.path;
    this.handle(event);
    this.handOverIfAsked();
    this.taken.add(`${before} · ${event.type} → ${this.path}`);
  }

  /** A leader whose lease asks it (annotation or preferredHolder) to hand over to someone else does so. */
  private handOverIfAsked(): void {
    if (this.path === 'leading' && this.isOther(this.observed?.handOverTo)) {
      this.handOverTo = this.observed!.handOverTo;
      this.go('handingOver');
    }
  }

  private handle(event: ReferenceEvent): void {
    switch (event.type) {
      case 'STOP':
        return this.go('stopped');
      case 'UPGRADE_STARTED':
      case 'UPGRADE_ABORTED':
        this.upgrading = event.type === 'UPGRADE_STARTED';
        return;
      case 'RELEASE':
        // A no-op while releasing already, and while upgrading in place (the successor re-adopts).
        if (!this.path.startsWith('releasing') && !this.upgrading) this.go('releasing');
        return;
      case 'WATCH_DOWN':
        this.watchUp = false;
        if (this.path === 'acquiring.waiting') this.go('acquiring.reading'); // poll from now on
        return;
      case 'ACQUIRE':
        if (this.path === 'idle') this.go('acquiring');
        return;
      case 'HAND_OVER':
        if (this.path === 'leading' && this.isOther(event.to)) {
          this.handOverTo = event.to;
          this.go('handingOver');
        }
        return;
      case 'LEASE_OBSERVED':
        return this.watched(event.lease);
    }
  }

  /** A watch delivery. */
  private watched(lease: ObservedLease | null): void {
    const top = this.path.split('.')[0];
    if (this.path === 'acquiring.waiting') {
      // Still another's, and no shorter a wait: the takeover only moves later (the timer stays).
      const goesOn = this.heldByOther(this.observed) && this.heldByOther(lease) && this.waitFor(lease!) >= this.waitFor(this.observed!);
      this.observe(lease, true);
      if (!goesOn) this.go('acquiring.deciding');
    } else if (top === 'acquiring') {
      this.observe(lease, true);
    } else if (top === 'leading' || top === 'renewing') {
      // A newer write naming anyone else ("" too) or deleting it ends leadership at this delivery.
      if (isNewer(lease, this.observed) && lease?.record.holderIdentity !== this.identity) {
        this.observe(lease, true);
        this.lose('preempted');
      } else this.observeIfNewer(lease);
    } else if (this.path === 'handingOver.writing') {
      this.observeIfNewer(lease);
    } else if (this.path === 'handingOver.awaitingTarget') {
      // The first newer write (the target's confirming renew, or anyone's) settles the hand-over.
      if (isNewer(lease, this.observed)) {
        this.observe(lease, true);
        this.go('handingOver.settled');
      } else this.observeIfNewer(lease);
    }
    // idle, releasing, handingOver.checking: deliveries change nothing.
  }

  /** The store answers the call in flight, at local time `now` (a write's `at`: when it was sent, unless given). */
  answer(outcome: Outcome, now: number): void {
    this.now = now;
    const flight = this.inFlight;
    if (!flight) throw new Error(`the reference has no call in flight in ${this.path}`);
    this.inFlight = undefined;
    const failed = 'error' in outcome ? outcome.error : undefined;
    const lease = 'lease' in outcome ? outcome.lease : null;
    const sentAt = 'lease' in outcome && outcome.at !== undefined ? outcome.at : flight.sentAt;
    const before = this.path;
    this.respond(before, failed, lease, flight, sentAt);
    this.taken.add(`${before} · ${failed ?? 'answered'} → ${this.path}`);
  }

  private respond(at: string, failed: LeaseErrorKind | undefined, lease: ObservedLease | null, flight: { call: Call }, sentAt: number): void {
    switch (at) {
      case 'acquiring.reading':
        if (failed === undefined) this.observe(lease, false);
        else if (failed === 'NotFound') this.observeMissing();
        return this.go(failed === undefined || failed === 'NotFound' ? 'acquiring.deciding' : 'acquiring.backoff');
      case 'acquiring.claiming':
      case 'acquiring.creating': {
        const refused = this.path === 'acquiring.claiming' ? 'Conflict' : 'AlreadyExists';
        if (failed !== undefined) return this.go(failed === refused ? 'acquiring.reading' : 'acquiring.backoff');
        // A write the watch already shows overtaken opens no window: read again.
        if (this.overtakes(flight, lease!)) return this.go('acquiring.reading');
        Object.assign(this, { observed: lease, observedAt: sentAt, seenAt: sentAt, lastRenewAt: sentAt, heldSince: sentAt, lost: false });
        return this.go('leading');
      }
      case 'renewing.attempt':
        if (failed !== undefined) return this.go(failed === 'Conflict' ? 'renewing.rereading' : 'renewing.retrying');
        // A renew counts only if it was sent while the window was open.
        if (sentAt > this.windowCloses()) return this.lose('deadline');
        if (this.heldSince === null) this.lost = false; // the first renew of an adopted lease opens the window
        Object.assign(this, {
          observed: this.observed !== null && isNewer(this.observed, lease) ? this.observed : lease,
          observedAt: sentAt,
          seenAt: sentAt,
          lastRenewAt: sentAt,
          heldSince: this.heldSince ?? sentAt,
        });
        return this.go('leading');
      case 'renewing.rereading':
        if (failed !== undefined && failed !== 'NotFound') return this.go('renewing.retrying');
        if (failed === 'NotFound') this.observeMissing();
        else this.observe(lease, false);
        return lease?.record.holderIdentity === this.identity ? this.go('renewing.attempt') : this.lose('preempted');
      case 'handingOver.writing':
        if (failed !== undefined || this.overtakes(flight, lease!)) return this.go('handingOver.settled');
        Object.assign(this, { observed: lease, observedAt: sentAt, seenAt: sentAt });
        return this.go('handingOver.awaitingTarget');
      case 'handingOver.checking':
        if (failed === 'NotFound') {
          this.observeMissing();
          return this.go('handingOver.settled');
        }
        if (failed === undefined && isNewer(lease, this.observed)) {
          this.observe(lease, false);
          return this.go('handingOver.settled');
        }
        return this.go('handingOver.awaitingTarget');
      case 'releasing.reading':
        if (failed !== undefined) return this.go(failed === 'NotFound' ? 'idle' : 'releasing.retrying');
        this.observe(lease, false);
        return this.go(lease!.record.holderIdentity === this.identity ? 'releasing.writing' : 'idle');
      case 'releasing.writing':
        if (failed !== undefined) return this.go(failed === 'Conflict' ? 'releasing.reading' : 'releasing.retrying');
        this.observed = lease;
        return this.go('idle');
      default:
        throw new Error(`the reference expects no answer in ${this.path}`);
    }
  }

  /**
   * The real clock fired its timers due up to `upTo`, the local time now being `now` (later after a
   * pause): this reference's fire too, earliest first, with those they start.
   */
  timersDue(upTo: number, now: number): void {
    this.now = now;
    for (;;) {
      const due = this.timers.filter((timer) => timer.dueAt <= upTo).sort((a, b) => a.dueAt - b.dueAt || a.serial - b.serial)[0];
      if (!due) return;
      this.timers = this.timers.filter((timer) => timer !== due);
      const before = this.path;
      this.fire(due);
      this.handOverIfAsked();
      this.taken.add(`${before} · after ${due.name} → ${this.path}`);
    }
  }

  private fire({ owner, name }: Timer): void {
    switch (`${owner}:${name}`) {
      case 'acquiring.waiting:takeover':
        // Unchanged since the timer was set: take it over; changed: wait again from the change.
        if (!this.heldByOther(this.observed)) return;
        return this.armedFor === this.takeoverAt() ? this.go('acquiring.claiming') : this.go('acquiring.waiting', true);
      case 'acquiring.waiting:poll':
      case 'handingOver.awaitingTarget:poll':
        // Polling stands in for the watch only while it is down.
        if (!this.watchUp) this.go(owner === 'acquiring.waiting' ? 'acquiring.reading' : 'handingOver.checking');
        return;
      case 'acquiring.backoff:poll':
      case 'releasing.retrying:poll':
        return this.go(owner === 'acquiring.backoff' ? 'acquiring.reading' : 'releasing.reading');
      case 'leading:renewInterval':
      case 'renewing.retrying:poll':
        // A process that wakes past its window's end stops leading before it writes again.
        if (this.windowCloses() <= this.now) return this.lose('deadline');
        return this.go(owner === 'leading' ? 'renewing' : 'renewing.attempt');
      case 'renewing:renewDeadline':
        return this.lose('deadline');
      case 'handingOver:handOverTimeout':
        return this.go('handingOver.settled');
      case 'releasing:releaseTimeout':
        return this.go('idle');
      default:
        throw new Error(`the reference has no rule for ${owner}:${name}`);
    }
  }

  // ---- moving between states -------------------------------------------------------------------

  /** Leadership ends: one-shot participants, and a fatal preemption, stop; the others compete again. */
  private lose(reason: 'deadline' | 'preempted'): void {
    this.endTenure();
    this.lost = true;
    const stops = this.config.afterLoss === 'stop' || (reason === 'preempted' && this.config.fatalOnPreemption);
    this.go(stops ? 'stopped' : 'acquiring');
  }

  /** Leaves the states not on the way to `target` (cancelling their timers and calls), enters the rest. */
  private go(target: string, reenter = false): void {
    const from = nodesOf(this.path);
    const to = nodesOf(this.resolveInitial(target));
    const kept = reenter ? from.filter((node) => to.includes(node) && node !== target && !node.startsWith(`${target}.`)) : from.filter((node) => to.includes(node));
    for (const node of from.filter((n) => !kept.includes(n)).reverse()) this.exit(node);
    this.path = to.at(-1)!;
    for (const node of to.filter((n) => !kept.includes(n))) {
      this.enter(node);
      if (this.path !== to.at(-1)) return; // an entry moved on (an eventless rule)
    }
  }

  private resolveInitial(target: string): string {
    const initial: Record<string, string> = {
      acquiring: 'acquiring.reading',
      renewing: 'renewing.attempt',
      handingOver: 'handingOver.writing',
      releasing: 'releasing.deciding',
    };
    return initial[target] ?? target;
  }

  private exit(node: string): void {
    this.timers = this.timers.filter((timer) => timer.owner !== node);
    if (this.inFlight?.owner === node) this.inFlight = undefined;
    if (node === 'acquiring.waiting') this.armedFor = null;
  }

  private startTimer(owner: string, name: Timer['name'], delay: number): void {
    this.timers.push({ owner, name, dueAt: this.now + Math.max(0, delay), serial: this.serial++ });
  }

  private sendCall(owner: string, call: Call): void {
    this.inFlight = { owner, call, sentAt: this.now };
    this.sent.push(call);
  }

  private enter(node: string): void {
    const { retryPeriod, leaseDuration, unlockWithRetryPeriod, createIfMissing } = this.config;
    switch (node) {
      case 'idle':
        this.endTenure();
        this.watchUp = false;
        return;
      case 'acquiring.reading':
      case 'renewing.rereading':
      case 'handingOver.checking':
      case 'releasing.reading':
        return this.sendCall(node, { verb: 'get' });
      case 'acquiring.deciding': {
        const holder = this.observed?.record.holderIdentity;
        if (this.observed === null) return this.go(createIfMissing ? 'acquiring.creating' : 'acquiring.waiting');
        // A lease naming us is re-adopted with a renew, no transition; the window opens when it lands.
        if (holder === this.identity) {
          Object.assign(this, { lastRenewAt: null, heldSince: null });
          return this.go('renewing');
        }
        if (this.lost && this.config.fatalOnPreemption) return this.go('stopped');
        return this.go(holder === '' ? 'acquiring.claiming' : 'acquiring.waiting');
      }
      case 'acquiring.waiting':
        this.armedFor = this.takeoverAt();
        this.startTimer(node, 'takeover', this.armedFor === FOREVER ? FOREVER : this.armedFor - this.now);
        return this.startTimer(node, 'poll', retryPeriod);
      case 'acquiring.claiming':
        return this.sendCall(node, this.claimOf(this.identity));
      case 'acquiring.creating':
        return this.sendCall(node, { verb: 'create', record: this.fresh(this.identity, 0, leaseDuration) });
      case 'acquiring.backoff':
      case 'renewing.retrying':
      case 'releasing.retrying':
      case 'handingOver.awaitingTarget':
        return this.startTimer(node, 'poll', retryPeriod);
      case 'leading':
        this.startTimer(node, 'renewInterval', retryPeriod);
        // A request on the lease naming someone else is a hand-over (one naming us is void).
        return this.handOverIfAsked();
      case 'renewing':
        return this.startTimer(node, 'renewDeadline', this.windowCloses() - this.now);
      case 'renewing.attempt': {
        const observed = this.observed!;
        const record = { ...observed.record, holderIdentity: this.identity, leaseDurationSeconds: seconds(leaseDuration), renewTime: this.now };
        return this.sendCall(node, { verb: 'update', record, resourceVersion: observed.resourceVersion });
      }
      case 'handingOver':
        this.endTenure(); // the window closes before anything is sent
        return this.startTimer(node, 'handOverTimeout', leaseDuration);
      case 'handingOver.writing':
        return this.sendCall(node, this.claimOf(this.handOverTo!));
      case 'handingOver.settled':
        return this.go(this.config.afterLoss === 'stop' ? 'stopped' : 'acquiring');
      case 'releasing':
        return this.startTimer(node, 'releaseTimeout', unlockWithRetryPeriod);
      case 'releasing.deciding':
        // The cached record lets the release go out at once when it names us; otherwise read first.
        return this.go(this.observed?.record.holderIdentity === this.identity ? 'releasing.writing' : 'releasing.reading');
      case 'releasing.writing': {
        const observed = this.observed!;
        const record = this.fresh('', observed.record.leaseTransitions, this.config.releasedLeaseDuration);
        return this.sendCall(node, { verb: 'update', record, resourceVersion: observed.resourceVersion });
      }
      case 'stopped':
        this.endTenure();
        this.timers = [];
        this.inFlight = undefined;
        return;
      default:
        return; // acquiring, renewing.preempted (reached only through lose), releasing's parent...
    }
  }

  // ---- records ---------------------------------------------------------------------------------

  /** holder, duration and times fresh (now), the given transitions. */
  private fresh(holder: string, leaseTransitions: number, durationMs: number): LeaseRecord {
    return { holderIdentity: holder, leaseDurationSeconds: seconds(durationMs), acquireTime: this.now, renewTime: this.now, leaseTransitions };
  }

  /** A new tenure for `holder` over the observed record: transitions + 1, saturating at the int32 maximum. */
  private claimOf(holder: string): Call {
    const observed = this.observed!;
    const transitions = Math.min(INT32_MAX, observed.record.leaseTransitions + 1);
    return { verb: 'update', record: this.fresh(holder, transitions, this.config.leaseDuration), resourceVersion: observed.resourceVersion };
  }

  // ---- what was seen -----------------------------------------------------------------------------

  /**
   * The watch delivered, while `flight` was on the wire, a later write than the one it made: a newer
   * version, or the deletion of the lease it wrote over (a create wrote over nothing).
   */
  private overtakes(flight: { call: Call }, written: ObservedLease): boolean {
    if (this.observed === null) return flight.call.verb === 'update';
    return isNewer(this.observed, written);
  }

  private observe(lease: ObservedLease | null, fromWatch: boolean): void {
    if (fromWatch) this.watchUp = true;
    // An older version than the one known only says when we last heard.
    if (lease !== null && this.observed !== null && version(lease) < version(this.observed)) {
      this.seenAt = this.now;
      return;
    }
    const changed = lease === null || this.observed === null ? lease !== this.observed : !sameRecord(lease.record, this.observed.record);
    this.observed = lease;
    if (changed || this.observedAt === null) this.observedAt = this.now;
    this.seenAt = this.now;
  }

  private observeIfNewer(lease: ObservedLease | null): void {
    if (isNewer(lease, this.observed)) this.observe(lease, true);
    else this.watchUp = true;
  }

  private observeMissing(): void {
    if (this.observed !== null) this.observedAt = null;
    this.observed = null;
  }

  private endTenure(): void {
    Object.assign(this, { lastRenewAt: null, heldSince: null });
  }

  /** Another's wait: the larger of the record's duration and our own leaseDuration (README). */
  private waitFor(lease: ObservedLease): number {
    return Math.max(lease.record.leaseDurationSeconds * 1000, this.config.leaseDuration);
  }

  private takeoverAt(): number {
    return this.observed === null || this.observedAt === null ? FOREVER : this.observedAt + this.waitFor(this.observed);
  }

  private heldByOther(lease: ObservedLease | null): boolean {
    const holder = lease?.record.holderIdentity;
    return holder !== undefined && holder !== '' && holder !== this.identity;
  }

  private isOther(to: string | undefined): boolean {
    return to !== undefined && to !== '' && to !== this.identity;
  }
}
