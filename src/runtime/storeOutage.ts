/**
 * How a participant tells its logger that its lease store calls fail: once when they start failing
 * (warn, with the error), again while they go on failing at growing intervals (10 s, doubling to 5
 * min, with the count), and once when every kind of call that failed is answered again (info, with
 * how long it lasted). A store that stays unreachable for an hour costs a dozen lines, not one per
 * retry period; a Role that forbids updates stays one outage although reads keep succeeding.
 */
import { formatDuration } from '../lease/duration.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import type { StoreCallListener, StoreVerb } from './participantImplementations.js';

/** First reminder after the start of an outage; each later one waits twice as long, up to LAST. */
const FIRST_REMINDER_MS = 10_000;
const LAST_REMINDER_MS = 5 * 60_000;

export class StoreOutage implements StoreCallListener {
  private since: number | null = null;
  /** The verbs whose last call failed: the outage ends when none is left. */
  private readonly failing = new Set<StoreVerb>();
  private failures = 0;
  private reminderIn = FIRST_REMINDER_MS;
  private nextReminder = 0;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    /** The participant's state, for the log lines. */
    private readonly state: () => string,
  ) {}

  failed(verb: StoreVerb, error: unknown): void {
    const now = this.clock.now();
    const fields = { verb, kind: (error as { kind?: string }).kind ?? 'Unknown', error: error instanceof Error ? error.message : String(error), state: this.state() };
    this.failing.add(verb);
    this.failures++;
    if (this.since === null) {
      this.since = now;
      this.reminderIn = FIRST_REMINDER_MS;
      this.nextReminder = now + this.reminderIn;
      this.log.warn('lease store calls failing; retrying', fields);
      return;
    }
    if (now < this.nextReminder) return;
    this.reminderIn = Math.min(this.reminderIn * 2, LAST_REMINDER_MS);
    this.nextReminder = now + this.reminderIn;
    this.log.warn(`lease store calls still failing after ${formatDuration(now - this.since)}`, { failed: this.failures, ...fields });
  }

  answered(verb: StoreVerb): void {
    if (this.since === null || !this.failing.delete(verb) || this.failing.size > 0) return;
    this.log.info(`lease store calls answered again after ${formatDuration(this.clock.now() - this.since)}`, { failed: this.failures });
    this.since = null;
    this.failures = 0;
  }
}
