/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time order (ties in the
 * order they were set) and lets promise chains settle after each one, so actors, RxJS pipelines and
 * the memory store react exactly as they would in real time, hours of it in milliseconds.
 */
import type { SchedulerLike } from 'rxjs';
import type { Clock, TimerHandle } from './clock.js';
import { clockScheduler } from './clockScheduler.js';

interface Timer {
  id: number;
  dueAt: number;
  fn: () => void;
}

/** Lets every queued promise continuation run (one macrotask drains the whole microtask queue). */
const drainMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface VirtualClockOptions {
  /**
   * What "let the world catch up" means between timers. Default: drain the microtask queue. Tests
   * whose participants talk over real HTTP wait until no request or watch delivery is pending.
   */
  settle?: () => Promise<void>;
}

export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers: Timer[] = [];
  readonly scheduler: SchedulerLike;

  private readonly settle: () => Promise<void>;

  constructor(start = Date.UTC(2026, 0, 1), options: VirtualClockOptions = {}) {
    this.time = start;
    this.scheduler = clockScheduler(this);
    this.settle = options.settle ?? drainMicrotasks;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) ? Math.max(0, ms) : Number.MAX_SAFE_INTEGER;
    const timer = { id: this.nextId++, dueAt: this.time + delay, fn };
    // Keep the queue sorted by (dueAt, id): insert after every timer due at or before this one.
    let index = this.timers.length;
    while (index > 0 && this.timers[index - 1]!.dueAt > timer.dueAt) index--;
    this.timers.splice(index, 0, timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    const index = this.timers.findIndex((t) => t.id === handle);
    if (index >= 0) this.timers.splice(index, 1);
  }

  /** When the earliest pending timer is due, or undefined when none is pending. */
  get nextTimerAt(): number | undefined {
    return this.timers[0]?.dueAt;
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.time + ms);
  }

  async advanceTo(target: number): Promise<void> {
    await this.settle();
    for (;;) {
      const next = this.timers[0];
      if (!next || next.dueAt > target) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.dueAt);
      next.fn();
      await this.settle();
    }
    this.time = Math.max(this.time, target);
    await this.settle();
  }

  /**
   * Moves time forward without firing timers: a paused process (GC, suspended VM, blocked event
   * loop) wakes to find time has jumped. The next advance() fires everything now overdue.
   */
  stall(ms: number): void {
    this.time += ms;
  }

  /**
   * Advances in steps of `step` until `condition` holds or `limit` ms have passed; returns the
   * virtual time it took, or throws when the limit is reached. Tests use it to measure hand-overs.
   */
  async advanceUntil(condition: () => boolean, limit: number, step = 1): Promise<number> {
    const start = this.time;
    await this.settle();
    while (!condition()) {
      if (this.time - start >= limit) {
        throw new Error(`condition not met within ${limit} ms of virtual time`);
      }
      await this.advance(Math.min(step, start + limit - this.time));
    }
    return this.time - start;
  }
}
