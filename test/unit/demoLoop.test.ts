/** `demo --ui`: hand-over after hand-over until stopped, every participant reported; Ctrl-C ends it at any point. */
import { describe, expect, it } from 'vitest';
import type { PrimaryLease } from '../../src/api/primaryLease.js';
import { demo, type DemoFigures } from '../../src/cli/demo/story.js';
import { memoryBackend } from '../../src/cli/demo/backend.js';
import { VirtualClock } from '../../src/time/virtualClock.js';

describe('the demo with loop, on the virtual clock', () => {
  it('hands the lease on again and again, by release and by switchover, until the signal aborts, then stops everyone', async () => {
    const clock = new VirtualClock();
    const lines: string[] = [];
    const started: string[] = [];
    const holders = new Set<string>();
    const stop = new AbortController();
    let figures: DemoFigures | undefined;
    void demo({
      clock,
      print: (line) => lines.push(line),
      backend: memoryBackend(clock),
      onParticipant: (identity) => started.push(identity),
      onLeaseObserved: (record) => holders.add(record.holderIdentity),
      loop: true,
      signal: stop.signal,
    }).then((f) => (figures = f));

    const loopHandOvers = () => lines.filter((line) => /hand-over: pod-\d leads \d+ ms after the release$/.test(line)).length;
    await clock.advanceUntil(() => loopHandOvers() >= 3, 60_000, 10);
    expect(figures).toBeUndefined();
    stop.abort();
    await clock.advanceUntil(() => figures !== undefined, 5_000, 10);
    expect(lines.at(-1)).toMatch(/done$/);
    // 3 to start, 1 re-join after the first hand-over, 1 after the crash, the upgrade's successor, 1 per loop hand-over.
    expect(started.length).toBeGreaterThanOrEqual(6 + 3);
    expect(new Set(started)).toEqual(new Set(['pod-1', 'pod-2', 'pod-3']));
    expect(holders).toEqual(new Set(['', 'pod-1', 'pod-2', 'pod-3']));
    expect(lines.some((line) => line.includes('gave up'))).toBe(false);
    // Releases and switchovers in turn: each switchover names the pod it chose.
    const switchovers = lines.filter((line) => / switches over to pod-\d/.test(line)).map((line) => / to (pod-\d)/.exec(line)![1]);
    const led = lines.filter((line) => /switchover: pod-\d leads/.test(line)).map((line) => /switchover: (pod-\d)/.exec(line)![1]);
    expect(switchovers.length).toBeGreaterThanOrEqual(3); // the story's one and the loop's
    expect(led).toEqual(switchovers.slice(0, led.length));
  });

  it('stops everyone at once when aborted during the story, rejecting with the reason', async () => {
    const clock = new VirtualClock();
    const lines: string[] = [];
    const participants: PrimaryLease[] = [];
    const stop = new AbortController();
    let outcome: unknown;
    demo({ clock, print: (line) => lines.push(line), backend: memoryBackend(clock), onParticipant: (_, p) => participants.push(p), loop: true, signal: stop.signal }).then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    await clock.advanceUntil(() => lines.some((line) => line.includes('first election')), 5_000, 10);
    stop.abort(new Error('Ctrl-C'));
    await clock.advanceUntil(() => outcome !== undefined, 100, 1);
    expect((outcome as Error).message).toBe('Ctrl-C');
    expect(participants.map((p) => p.actor.getSnapshot().status)).toEqual(['done', 'done', 'done']);
    expect(lines.some((line) => line.endsWith('done'))).toBe(false);
  });
});
