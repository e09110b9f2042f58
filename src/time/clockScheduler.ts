/**
 * An RxJS SchedulerLike over a clock's setTimeout/now, so RxJS operators and XState delays share
 * one time base (virtual in tests, real in production).
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { TimerHandle } from './clock.js';

interface TimerSource {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

class ClockAction<T> extends Subscription implements SchedulerAction<T> {
  private pending: TimerHandle | undefined;
  private armed = false;

  constructor(
    private readonly timers: TimerSource,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super(() => this.disarm());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.disarm();
    this.armed = true;
    this.pending = this.timers.setTimeout(() => {
      this.armed = false;
      this.pending = undefined;
      this.work.call(this, state);
      if (!this.armed) this.unsubscribe();
    }, delay);
    return this;
  }

  private disarm(): void {
    if (this.armed) this.timers.clearTimeout(this.pending);
    this.armed = false;
    this.pending = undefined;
  }
}

export function clockScheduler(timers: TimerSource): SchedulerLike {
  return {
    now: () => timers.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      return new ClockAction<T>(timers, work).schedule(state, delay);
    },
  };
}
