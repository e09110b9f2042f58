/**
 * Conditional updates per second with 8 writers, kube-apiserver (v1.37.2 on etcd v3.6.16, from
 * `npm run cluster`'s cached binaries, feature gates as shipped) and the embedded server (in its
 * own process, in memory and with --data-dir) in one run. Each writer renews a lease of its own
 * with a PUT that carries the resourceVersion it last got back, as a leader does, and sends the
 * next when the last is answered. The servers take turns for `--rounds` rounds of `--seconds` each,
 * so a busy machine slows all of them alike; the table gives the median round, with p50 and p99
 * over every write of every round.
 *
 *   npx tsx bench/conditionalUpdates.bench.ts [--writers 8] [--seconds 5] [--rounds 3]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneBinaries } from '../test/cluster/binaries.js';
import { startControlPlane } from '../test/cluster/controlPlane.js';
import { httpTarget, type Target } from '../test/conformance/target.js';
import { startServerProcess } from './serverProcess.js';
import { ms, option, percentile, printTable } from './stats.js';

const WRITERS = option('writers', 8);
const SECONDS = option('seconds', 5);
const ROUNDS = option('rounds', 3);
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const JSON_TYPE = { 'content-type': 'application/json' };

interface LeaseJson {
  metadata: { name: string; resourceVersion: string };
  spec: Record<string, unknown>;
}

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

async function createLeases(target: Target, round: number): Promise<LeaseJson[]> {
  return Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: `bench-${round}-${writer}` }, spec: { holderIdentity: `writer-${writer}`, leaseDurationSeconds: 15, leaseTransitions: 0 } };
      const answer = await target.send({ method: 'POST', path: LEASES, headers: JSON_TYPE, body: body(lease) });
      if (answer.code !== 201) throw new Error(`${target.name}: creating a lease: ${answer.code} ${answer.body}`);
      return JSON.parse(answer.body) as LeaseJson;
    }),
  );
}

/** Every writer renews its own lease, conditionally, for SECONDS: the number of updates and each one's latency. */
async function round(target: Target, number: number): Promise<{ perSecond: number; latencies: number[] }> {
  const leases = await createLeases(target, number);
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    leases.map(async (lease) => {
      let current = lease;
      for (let renewal = 1; performance.now() < deadline; renewal++) {
        const sent = performance.now();
        // A new renewTime every time: a renewal always changes the lease.
        const next = { ...current, spec: { ...current.spec, renewTime: new Date(Date.UTC(2026, 0, 1) + renewal).toISOString().replace('Z', '000Z') } };
        const answer = await target.send({ method: 'PUT', path: `${LEASES}/${current.metadata.name}`, headers: JSON_TYPE, body: body(next) });
        if (answer.code !== 200) throw new Error(`${target.name}: renewal answered ${answer.code}: ${answer.body}`);
        current = JSON.parse(answer.body) as LeaseJson;
        latencies.push(performance.now() - sent);
      }
    }),
  );
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), latencies };
}

const log = (line: string) => console.error(line);
const binaries = await controlPlaneBinaries({ log });
const controlPlane = await startControlPlane({ binaries, log });
const dataDir = mkdtempSync(join(tmpdir(), 'leasehold-bench-'));
const memory = await startServerProcess([]);
const durable = await startServerProcess(['--data-dir', dataDir]);
const servers: { name: string; target: Target }[] = [
  { name: `kube-apiserver v${binaries.kubernetesVersion} + etcd v${binaries.etcdVersion}`, target: httpTarget({ name: 'kube-apiserver', url: controlPlane.url, token: controlPlane.token, ca: readFileSync(controlPlane.caFile) }) },
  { name: 'embedded, in memory', target: httpTarget({ name: 'embedded', url: memory.url }) },
  { name: 'embedded, --data-dir (fsync per answer)', target: httpTarget({ name: 'embedded', url: durable.url }) },
];
const loadBefore = loadavg()[0]!;
try {
  const results = new Map(servers.map((server) => [server.name, { rates: [] as number[], latencies: [] as number[] }]));
  for (let number = 0; number < ROUNDS; number++) {
    for (const server of servers) {
      const { perSecond, latencies } = await round(server.target, number);
      results.get(server.name)!.rates.push(perSecond);
      results.get(server.name)!.latencies.push(...latencies);
      log(`round ${number + 1}: ${server.name}: ${Math.round(perSecond)} updates/s`);
    }
  }
  console.log(`\n${WRITERS} writers, ${ROUNDS} rounds of ${SECONDS} s each; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after\n`);
  printTable(
    servers.map(({ name }) => {
      const { rates, latencies } = results.get(name)!;
      return { server: name, 'updates/s (median round)': Math.round(percentile(rates, 50)), 'p50 write': ms(percentile(latencies, 50)), 'p99 write': ms(percentile(latencies, 99)) };
    }),
  );
} finally {
  for (const { target } of servers) target.close();
  await memory.stop();
  await durable.stop();
  rmSync(dataDir, { recursive: true, force: true });
  await controlPlane.stop();
}
