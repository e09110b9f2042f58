/**
 * 8 writers x 10,000 conditional updates against one lease on the embedded server: lost updates.
 *
 *   npx tsx bench/contention.bench.ts [--writers 8] [--updates 10000] [--data-dir]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lostUpdates, runContention } from '../test/support/contention.js';
import { option } from './stats.js';

const writers = option('writers', 8);
const updates = option('updates', 10_000);
const durable = process.argv.includes('--data-dir');
const result = await runContention(writers, updates, durable ? { dataDir: mkdtempSync(join(tmpdir(), 'leasehold-contention-')) } : {});
const lost = lostUpdates(result);
console.log(
  `${durable ? 'with --data-dir' : 'in memory'}: ${writers} writers x ${updates} updates: ${result.acknowledged.length} acknowledged, ${result.watched.length} watched, ${result.conflicts} conflicts (409, re-read and retried), ${result.seconds.toFixed(1)} s; lost ${lost.missing}, out of order ${lost.outOfOrder}, version mismatches ${lost.versionMismatch}`,
);
process.exit(lost.missing + lost.outOfOrder + lost.versionMismatch === 0 ? 0 : 1);
