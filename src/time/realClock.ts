import { type Clock, type TimerHandle, MAX_TIMER_DELAY } from './clock.js';
import { clockScheduler } from './clockScheduler.js';

interface RealTimer {
  current: ReturnType<typeof globalThis.setTimeout> | undefined;
}

/** Arms a platform timer; waits longer than the platform maximum are re-armed instead of firing at once. */
function arm(timer: RealTimer, fn: () => void, dueAt: number): void {
  const remaining = Math.max(0, dueAt - Date.now());
  timer.current = globalThis.setTimeout(
    remaining > MAX_TIMER_DELAY ? () => arm(timer, fn, dueAt) : fn,
    Math.min(remaining, MAX_TIMER_DELAY),
  );
}

const timers = {
  now: () => Date.now(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: RealTimer = { current: undefined };
    arm(timer, fn, Date.now() + (Number.isFinite(ms) ? Math.max(0, ms) : MAX_TIMER_DELAY));
    return timer;
  },
  clearTimeout(handle: TimerHandle): void {
    const timer = handle as RealTimer | undefined;
    if (timer?.current !== undefined) globalThis.clearTimeout(timer.current);
  },
};

/** Wall-clock time and platform timers: production. */
export const realClock: Clock = { ...timers, scheduler: clockScheduler(timers) };
