import { describe, expect, it } from 'vitest';
import { demo, type DemoFigures } from '../../src/cli/demo/story.js';
import { memoryBackend } from '../../src/cli/demo/backend.js';
import { VirtualClock } from '../../src/time/virtualClock.js';

describe('the demo (npm start), on the virtual clock', () => {
  it('elects, hands over at once, switches over to the chosen pod, fails over after leaseDuration, and upgrades with no transition', async () => {
    const clock = new VirtualClock();
    const lines: string[] = [];
    let figures: DemoFigures | undefined;
    void demo({ clock, print: (line) => lines.push(line), backend: memoryBackend(clock) }).then((f) => (figures = f));
    await clock.advanceUntil(() => figures !== undefined, 30_000, 10);
    // The demo looks for the new primary every millisecond: 1 ms is its resolution.
    expect(figures!.firstElection).toBeLessThanOrEqual(1);
    expect(figures!.handOver).toBeLessThanOrEqual(1);
    expect(figures!.switchover).toBeLessThanOrEqual(1);
    // The switchover goes to the pod chosen by name, not to whoever wins a race.
    expect(lines.some((line) => /switchover: pod-3 leads \d+ ms after handOver\("pod-3"\)/.test(line))).toBe(true);
    expect(figures!.failoverAfterLastRenew - 3_000).toBeGreaterThanOrEqual(0);
    expect(figures!.failoverAfterLastRenew - 3_000).toBeLessThanOrEqual(1);
    expect(figures!.upgradeTransitionsAdded).toBe(0);
    expect(figures!.sawEmptyHolder).toBe(false);
    expect(lines.at(-1)).toMatch(/done$/);
    expect(lines.some((line) => line.includes('gave up'))).toBe(false);
  });
});
