/**
 * The embedded server under contention: concurrent conditional writers on one lease. No
 * acknowledged write is lost or duplicated, resourceVersions strictly increase, and a watcher sees
 * every change in order, in memory and with a data directory. `npx tsx bench/contention.bench.ts`
 * runs the full 8 x 10,000.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lostUpdates, runContention } from '../support/contention.js';

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
