/**
 * The embedded server under contention: concurrent conditional writers on one lease. No
 * acknowledged write is lost or duplicated, resourceVersions strictly increase, and a watcher sees
 * every change in order, in memory and with a data directory. `npx tsx bench/contention.bench.ts`
 * runs the full 8 x 10,000. And the checker can fail: each planted fault of a broken server
 * (contentionFaults.ts) is seen as the count it names.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lostUpdates, runContention } from '../support/contention.js';
import { CONTENTION_FAULTS, startFaultyFront } from '../support/contentionFaults.js';

const UPDATES = Number(process.env.LEASEHOLD_CONTENTION_UPDATES ?? 250);

describe('embedded server under contention', () => {
  it.each([
    ['in memory', () => ({})],
    ['with a data directory', () => ({ dataDir: mkdtempSync(join(tmpdir(), 'leasehold-contention-')) })],
  ])(`8 writers x ${UPDATES} conditional updates, %s: nothing lost, in order`, async (_mode, options) => {
    const result = await runContention(8, UPDATES, options());
    expect(result.acknowledged).toHaveLength(8 * UPDATES);
    expect(result.watched).toHaveLength(8 * UPDATES);
    expect(lostUpdates(result)).toEqual({ missing: 0, outOfOrder: 0, versionMismatch: 0 });
    expect(result.conflicts).toBeGreaterThan(0); // the writers really did race
  }, 120_000);
});

describe('the lost-update checker', () => {
  it.each(Object.entries(CONTENTION_FAULTS))('sees a planted fault: %s', async (fault, planted) => {
    // 4 x 25: the fault strikes at the 50th update (or watch event) of 100.
    const result = await runContention(4, 25, {}, (url) => startFaultyFront(url, planted));
    const lost = lostUpdates(result);
    expect(lost[planted.seenAs], `${fault}: ${JSON.stringify(lost)}`).toBeGreaterThan(0);
    console.log(`planted fault "${fault}" seen as ${planted.seenAs} (${JSON.stringify(lost)}) in 4 x 25 updates`);
  });
});
