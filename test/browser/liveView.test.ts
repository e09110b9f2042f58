/**
 * The live view in a real browser during a real demo run (`leasehold demo --ui`, spawned as a user
 * runs it): after a hand-over, the new leader's card shows `leading`, highlighted in its overview,
 * within 2 s; a candidate's card names its sub-state ("acquiring · waiting") and marks it in the
 * acquiring box; a click on that box opens the detail diagram with the sub-state highlighted; and
 * both diagrams are shown at a size their smallest text can be read.
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

/** One card as the page shows it, read in one go (the demo keeps changing it). */
interface CardView {
  state: string;
  named: string;
  overviewActive: string[];
  overviewRows: string[];
  detailActive: string[];
}

const readCard = (id: string) => `(() => {
  const card = document.querySelector('article.actor[data-actor="${id}"]');
  const titles = (selector) => [...card.querySelectorAll(selector)].map((node) => node.textContent);
  return {
    state: card.dataset.state,
    named: card.querySelector('.current').textContent,
    overviewActive: titles('.overview g.state.active > title'),
    overviewRows: [...card.querySelectorAll('.overview g.active-row')].map((row) => row.id),
    detailActive: titles('.detail g.state.active > title'),
  };
})()`;

/** CSS pixels of the smallest text in a card's diagram, as displayed. */
const smallestText = (id: string, holder: string) => `(() => {
  const svg = document.querySelector('article.actor[data-actor="${id}"] ${holder} svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return Math.min(...[...svg.querySelectorAll('text')].map((text) => Number(text.getAttribute('font-size')))) * scale;
})()`;

describe('live view in Chromium', () => {
  let browser: Browser | undefined;
  let demo: ReturnType<typeof runCli> | undefined;
  afterEach(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null) demo.child.kill('SIGKILL');
  });

  // How soon the page shows a transition is a figure of bench/liveView.bench.ts, not an assertion here.
  it('highlights the new leader as leading after a hand-over, names a candidate\'s sub-state, opens a detail on a click, and stops cleanly on SIGINT', { timeout: 60_000 }, async () => {
    browser = await launchChromium();
    demo = runCli(['demo', '--ui']);
    const url = (await nextLine(demo, /live view: (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url);
    await page.locator('#connection[data-connected="true"]').waitFor({ timeout: 10_000 });
    await page.locator('article.actor:nth-of-type(3) .diagram svg').waitFor({ timeout: 10_000 });

    // The next hand-over from now: the story's, or one of the loop's after it.
    const leader = (await nextLine(demo, /hand-over: (pod-\d) leads/))[1]!;
    const card = page.locator(`article.actor[data-actor="${leader}"][data-state="leading"]`);
    await card.locator('g.state.active > title', { hasText: /^lease\.leading$/ }).waitFor({ state: 'attached', timeout: 15_000 });
    await page.locator('.lease .holder', { hasText: new RegExp(`^${leader}$`) }).waitFor({ timeout: 15_000 });
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

    // A candidate: its sub-state named in words and marked in its acquiring box.
    const candidate = ['pod-1', 'pod-2', 'pod-3'].find((id) => id !== leader)!;
    /** The candidate's card at the first moment `check` holds of it. */
    const whenCard = async (check: string) => {
      const found = await page.waitForFunction(`(() => { const view = ${readCard(candidate)}; return (${check}) && view; })()`, undefined, { timeout: 15_000 });
      return (await found.jsonValue()) as CardView;
    };
    const acquiring = await whenCard(`view.state.startsWith('acquiring.')`);
    const sub = acquiring.state.slice('acquiring.'.length);
    expect(acquiring.named).toBe(`acquiring · ${sub}`);
    expect(acquiring.overviewActive).toEqual(['lease.acquiring']);
    expect(acquiring.overviewRows).toEqual([`a_lease.acquiring.${sub}`]);
    expect(await page.evaluate(smallestText(candidate, '.overview'))).toBeGreaterThanOrEqual(9);

    // The detail on a click: the states inside acquiring, the active one highlighted.
    const candidateCard = page.locator(`article.actor[data-actor="${candidate}"]`);
    await candidateCard.locator('.overview g.node[data-detail="lease.acquiring"]').click();
    await candidateCard.locator('.detail:not([hidden]) svg').waitFor({ timeout: 5_000 });
    expect(await candidateCard.getAttribute('data-detail')).toBe('lease.acquiring');
    expect(await candidateCard.locator('.detail svg title').allTextContents()).toEqual(
      expect.arrayContaining(['lease.acquiring.reading', 'lease.acquiring.waiting', 'lease.acquiring.claiming']),
    );
    const inDetail = await whenCard(`view.state.startsWith('acquiring.') && view.detailActive.length > 0`);
    expect(inDetail.detailActive).toEqual([`lease.${inDetail.state}`]);
    expect(await page.evaluate(smallestText(candidate, '.detail'))).toBeGreaterThanOrEqual(9);
    await candidateCard.screenshot({ path: join(OUTPUT, 'liveView-detail.png') });
    await candidateCard.locator('.detail button').click();
    expect(await candidateCard.locator('.detail').isHidden()).toBe(true);

    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/(done|interrupted: every participant stopped)\n$/);
  });
});
