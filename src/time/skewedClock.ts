/**
 * A participant's own clock over a shared true-time clock: it starts at `offset` from true time and
 * runs at `rate` (1.01 = 1% fast). Timers set on it fire when *its* time says so. The simulated
 * cluster gives each participant one, to show safety holds for any offset and for rates within
 * leaseDuration / renewDeadline of each other.
 */
import type { SchedulerLike } from 'rxjs';
import type { Clock, TimerHandle } from './clock.js';
import { clockScheduler } from './clockScheduler.js';

export class SkewedClock implements Clock {
  readonly scheduler: SchedulerLike;
  private readonly trueStart: number;

  constructor(
    private readonly truth: Clock,
    readonly offset: number,
    readonly rate: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`a clock rate must be positive, not ${rate}`);
    this.trueStart = truth.now();
    this.scheduler = clockScheduler(this);
  }

  now(): number {
    return this.trueStart + this.offset + (this.truth.now() - this.trueStart) * this.rate;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.truth.setTimeout(fn, Math.max(0, ms) / this.rate);
  }

  clearTimeout(handle: TimerHandle): void {
    this.truth.clearTimeout(handle);
  }
}
