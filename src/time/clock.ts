/**
 * The one seam for time. Every wait in leasehold — XState delays, RxJS timers, retries, lease
 * arithmetic — goes through a Clock, so tests run hours of lease traffic on a VirtualClock in
 * milliseconds and production runs the same code on realClock.
 */
import type { SchedulerLike } from 'rxjs';

export type TimerHandle = unknown;

export interface Clock {
  /** Local time, epoch milliseconds. */
  now(): number;
  /** Runs `fn` after `ms`; XState accepts a Clock as its `clock` option. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** An RxJS scheduler on the same time base, for timer(), delay(), retry backoff. */
  readonly scheduler: SchedulerLike;
}

/** The longest delay a platform timer accepts; longer waits are re-armed (see realClock). */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** A computed wait as a timer delay: never negative (already due), never past what a timer accepts. */
export const clampDelay = (ms: number): number => Math.min(MAX_TIMER_DELAY, Math.max(0, ms));
