/**
 * The live view in a real browser during a real demo run (`leasehold demo --ui`, spawned as a user
 * runs it): after a hand-over, the new leader's card shows `leading`, highlighted in its diagram,
 * within 2 s.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { launchChromium } from './chromium.js';

const OUTPUT = join(import.meta.dirname, '../../test-output/browser');

/** Resolves with the first match of `pattern` in a line the CLI prints from now on. */
function nextLine(cli: ReturnType<typeof runCli>, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const match = pattern.exec(line);
        if (!match) continue;
        cli.child.stdout!.off('data', onData);
        return resolve(match);
      }
    };
    cli.child.stdout!.on('data', onData);
  });
}

interface Applied {
  id: string;
  state: string;
}

describe('live view in Chromium', () => {
  let browser: Browser | undefined;
  let demo: ReturnType<typeof runCli> | undefined;
  afterEach(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null) demo.child.kill('SIGKILL');
  });

  it('highlights the new leader as leading within 2 s of a hand-over, and stops cleanly on SIGINT', { timeout: 60_000 }, async () => {
    browser = await launchChromium();
    demo = runCli(['demo', '--ui']);
    const url = (await nextLine(demo, /live view: (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url);
    await page.locator('#connection[data-connected="true"]').waitFor({ timeout: 10_000 });
    await page.locator('article.actor:nth-of-type(3) .diagram svg').waitFor({ timeout: 10_000 });

    // The next hand-over from now: the story's, or one of the loop's after it.
    const leader = (await nextLine(demo, /hand-over: (pod-\d) leads/))[1]!;
    const deadline = Date.now() + 2_000;
    const withinDeadline = () => ({ timeout: Math.max(1, deadline - Date.now()) });
    const card = page.locator(`article.actor[data-actor="${leader}"][data-state="leading"]`);
    await card.locator('g.state.active > title', { hasText: /^lease\.leading$/ }).waitFor({ state: 'attached', ...withinDeadline() });
    await page.locator('.lease .holder', { hasText: new RegExp(`^${leader}$`) }).waitFor(withinDeadline());
    expect(await card.locator('g.state.active').count()).toBe(1);

    // It changed to leading: the update before it showed this participant in another state.
    const applied = (await page.evaluate('window.liveView.applied')) as Applied[];
    const mine = applied.filter((entry) => entry.id === leader);
    const becameLeading = mine.findLastIndex((entry) => entry.state === 'leading');
    expect(becameLeading).toBeGreaterThan(0);
    expect(mine[becameLeading - 1]!.state).not.toBe('leading');
    expect(await page.locator('#log li').count()).toBeGreaterThan(0);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'liveView-after-handover.png'), fullPage: true });

    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/(done|interrupted: every participant stopped)\n$/);
  });
});
