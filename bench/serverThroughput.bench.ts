/**
 * The embedded server in its own process: conditional updates per second with 8 writers (each
 * renews its own lease with the resourceVersion it last got back, as participants do) and p99
 * write latency, in memory and with --data-dir (every answer after an fsync, group commit); then
 * the server's RSS while 1,000 watchers follow a busy lease and 5 of them have stopped reading.
 *
 *   npx tsx bench/serverThroughput.bench.ts [--writers 8] [--seconds 10] [--watchers 1000] [--stalled 5] [--memory-only]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startServerProcess } from './serverProcess.js';
import { ms, option, percentile, printTable } from './stats.js';

const WRITERS = option('writers', 8);
const SECONDS = option('seconds', 10);
const WATCHERS = option('watchers', 1000);
const STALLED = option('stalled', 5);
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const json = { 'content-type': 'application/json' };

interface LeaseJson {
  metadata: { name: string; resourceVersion: string };
  spec: Record<string, unknown>;
}

async function conditionalUpdates(url: string) {
  const leases = await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) =>
      (await (await fetch(`${url}${LEASES}`, { method: 'POST', headers: json, body: JSON.stringify({ metadata: { name: `w${writer}` }, spec: { holderIdentity: `w${writer}`, leaseDurationSeconds: 15 } }) })).json()) as LeaseJson,
    ),
  );
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    leases.map(async (lease) => {
      let current = lease;
      for (let n = 0; performance.now() < deadline; n++) {
        const sent = performance.now();
        const response = await fetch(`${url}${LEASES}/${current.metadata.name}`, { method: 'PUT', headers: json, body: JSON.stringify({ ...current, spec: { ...current.spec, leaseTransitions: n } }) });
        if (response.status !== 200) throw new Error(`unexpected ${response.status}: ${await response.text()}`);
        current = (await response.json()) as LeaseJson;
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: Math.round(latencies.length / seconds), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const results: Record<string, string | number>[] = [];
for (const mode of (process.argv.includes('--memory-only') ? ['in memory'] : ['in memory', '--data-dir']) as ('in memory' | '--data-dir')[]) {
  const dataDir = mode === '--data-dir' ? mkdtempSync(join(tmpdir(), 'leasehold-bench-')) : undefined;
  const server = await startServerProcess(dataDir ? ['--data-dir', dataDir] : []);
  const { perSecond, p50, p99 } = await conditionalUpdates(server.url);
  results.push({ mode, writers: WRITERS, 'updates/s': perSecond, 'p50 write': ms(p50), 'p99 write': ms(p99), 'server RSS': `${server.rssMiB().toFixed(0)} MiB` });
  await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true });
}
printTable(results);

// 1,000 watchers on a busy lease, 5 of which stop reading.
const server = await startServerProcess();
const idle = server.rssMiB();
await fetch(`${server.url}${LEASES}`, { method: 'POST', headers: json, body: JSON.stringify({ metadata: { name: 'busy' }, spec: {} }) });
const port = Number(new URL(server.url).port);
const sockets: Socket[] = [];
let received = 0;
for (let i = 0; i < WATCHERS; i++) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  sockets.push(socket);
  socket.write(`GET ${LEASES}?watch=1&fieldSelector=metadata.name%3Dbusy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  if (i < STALLED) socket.pause();
  else socket.on('data', (chunk: Buffer) => (received += chunk.length));
}
await new Promise((resolve) => setTimeout(resolve, 2_000));
const watching = server.rssMiB();
const annotation = 'x'.repeat(20 * 1024);
let peak = watching;
const updates = 2_000;
for (let i = 0; i < updates; i++) {
  await new Promise<void>((resolve, reject) => {
    const body = JSON.stringify({ metadata: { annotations: { payload: `${i}${annotation}` } } });
    const patch = request(`${server.url}${LEASES}/busy`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => resolve());
    });
    patch.on('error', reject);
    patch.end(body);
  });
  if (i % 100 === 0) peak = Math.max(peak, server.rssMiB());
}
peak = Math.max(peak, server.rssMiB());
const cutOff = server.log().split('\n').filter((line) => line.includes('closing a watch that fell behind')).length;
for (const socket of sockets) socket.destroy();
await server.stop();
printTable([
  {
    watchers: WATCHERS,
    stalled: STALLED,
    'changes (20 KiB each)': updates,
    'RSS idle': `${idle.toFixed(0)} MiB`,
    'RSS with watchers': `${watching.toFixed(0)} MiB`,
    'RSS peak under changes': `${peak.toFixed(0)} MiB`,
    'MiB delivered to readers': (received / 1024 / 1024).toFixed(0),
    'watchers cut off by the server': cutOff,
  },
]);
