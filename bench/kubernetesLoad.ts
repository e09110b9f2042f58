/**
 * One client workload against the API server at `--url`, in a process of its own so its CPU and RSS
 * are its own. Forked by kubernetes.bench.ts, which reads the server's figures when this process
 * says its measuring window opens and closes (IPC messages `window` and `result`).
 *
 *   manager     10,000 managed leases of 60 s through one LeaseManager on KubernetesManagedLeaseStore,
 *               each extended every 30 s (staggered: an even 333 extends a second)
 *   electors    1,000 LeaderElectors on KubernetesLeaseLocks of one KubeConfig, one lease each (15 s / 10 s / 2 s)
 *   throughput  conditional updates, each sent when the last was answered: a plain keep-alive HTTP
 *               client (undici, one connection), KubernetesLeaseLock.update, KubernetesManagedLeaseStore.claim
 *               (extending one lease, no feed), LeaseManager extends of one lease, and LeaseManager extends
 *               by 100 callers at once (batched, as under load); `--rounds` rounds (default 5) of `--seconds`
 *               (default 3) each, the clients taking turns, so every ratio compares figures taken side by side
 */
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { KubeConfig } from '@kubernetes/client-node';
import { filter, firstValueFrom } from 'rxjs';
import { Agent, request } from 'undici';
import { LeaderElector } from '../src/api/leaderElector.js';
import { LeaseManager } from '../src/api/leaseManager.js';
import { KubernetesLeaseLocks } from '../src/kubernetes/leaseLock.js';
import { KubernetesManagedLeaseStore } from '../src/kubernetes/managed/store.js';
import { kubeConfigFor } from '../src/server/kubeconfig.js';
import { realClock } from '../src/time/realClock.js';
import { DEFAULT_TIMING, sleep } from './handover.js';
import { option } from './stats.js';

const mode = process.argv[2];
const url = process.argv[process.argv.indexOf('--url') + 1]!;
const LEASES = option('leases', 10_000);
const ELECTORS = option('electors', 1_000);
const WINDOW_SECONDS = option('window-seconds', 60);
const SECONDS = option('seconds', 3);
const ROUNDS = option('rounds', 5);
const DURATION_MS = 60_000;
const EXTEND_EVERY_MS = 30_000;

const kubeConfigAs = (who: string) => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeConfigFor(url, who));
  return kubeConfig;
};
const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
// BENCH_MEMORY_TRACE=1: process.memoryUsage() every 5 s on stderr, to see where the RSS goes.
if (process.env.BENCH_MEMORY_TRACE) {
  const started = performance.now();
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  setInterval(() => {
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const spaces = getHeapSpaceStatistics()
      .map((space) => `${space.space_name.replace('_space', '')} ${mib(space.space_size)}/${mib(space.space_used_size)}`)
      .join(' ');
    console.error(`${mode} t=${Math.round((performance.now() - started) / 1000)}s rss ${mib(rss)} heapTotal ${mib(heapTotal)} heapUsed ${mib(heapUsed)} external ${mib(external)} arrayBuffers ${mib(arrayBuffers)} MiB; spaces (size/used) ${spaces}`);
  }, 5_000).unref();
}
const send = (message: object) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

/** Runs `work` for the window: tells the parent when it opens, then reports CPU share and RSS with `extra`. */
async function measure(extra: () => Record<string, number>): Promise<void> {
  await send({ type: 'window' });
  const cpuBefore = cpuMs();
  const wallBefore = performance.now();
  await sleep(WINDOW_SECONDS * 1000);
  const cpu = (cpuMs() - cpuBefore) / (performance.now() - wallBefore);
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  // Where the RSS goes, before the collection below: V8's young generation, its old space (live and
  // garbage not yet collected), and buffers outside the heap.
  const spaceMiB = (name: string) => (getHeapSpaceStatistics().find((space) => space.space_name === name)?.space_size ?? 0) / 2 ** 20;
  const [youngMiB, oldMiB, externalMiB] = [spaceMiB('new_space'), spaceMiB('old_space'), process.memoryUsage().external / 2 ** 20];
  (globalThis as { gc?: () => void }).gc?.();
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  if (process.env.BENCH_HEAP_SNAPSHOT) console.error(`heap snapshot: ${writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT)}`);
  await send({ type: 'result', result: { cpu, rssMiB, heapMiB, youngMiB, oldMiB, externalMiB, ...extra() } });
}

async function manager(): Promise<void> {
  const store = new KubernetesManagedLeaseStore(kubeConfigAs('manager'), { namespace: 'default', clock: realClock });
  const leaseManager = new LeaseManager({ store, clock: realClock });
  const claimer = leaseManager.claimer('leases', 'bench');
  const names = Array.from({ length: LEASES }, (_, i) => `lease-${i}`);
  let failures = 0;
  const claim = (name: string) => claimer.claim(name, 'holder', DURATION_MS).catch(() => void failures++);
  for (let i = 0; i < names.length; i += 1_000) await Promise.all(names.slice(i, i + 1_000).map(claim));
  // Every lease once per 30 s, in 300 slices of 100 ms.
  const slices = EXTEND_EVERY_MS / 100;
  let slice = 0;
  let extends_ = 0;
  const extend = () => {
    for (let i = slice++ % slices; i < names.length; i += slices) {
      extends_++;
      void claim(names[i]!);
    }
    timer = realClock.setTimeout(extend, 100);
  };
  let timer = realClock.setTimeout(extend, 100);
  await sleep(5_000);
  const before = extends_;
  await measure(() => {
    const report = leaseManager.report();
    return { held: report.leases, extends: extends_ - before, queued: report.queued.claims, failures };
  });
  realClock.clearTimeout(timer);
  leaseManager.stop();
}

async function electors(): Promise<void> {
  const locks = new KubernetesLeaseLocks(kubeConfigAs('electors'));
  const stop = new AbortController();
  const all = Array.from({ length: ELECTORS }, (_, i) => {
    const elector = new LeaderElector({
      lock: locks.lockFor({ namespace: 'default', name: `elector-${i}` }, 'me'),
      ...DEFAULT_TIMING,
      callbacks: { onStartedLeading: () => undefined, onStoppedLeading: () => undefined },
    });
    void elector.run({ signal: stop.signal });
    return elector;
  });
  await Promise.all(all.map((elector) => firstValueFrom(elector.state$.pipe(filter(() => elector.isLeader())))));
  await sleep(3_000);
  await measure(() => ({ leading: all.filter((elector) => elector.isLeader()).length }));
  stop.abort();
}

export interface Rate {
  perSecond: number;
  cpuMsPerUpdate: number;
}

/**
 * Conditional updates for SECONDS by `callers` loops at once, each sending its next update when the
 * last one is answered: updates per second and client CPU per update.
 */
async function rate(update: (caller: number) => Promise<void>, callers = 1): Promise<Rate> {
  const cpuBefore = cpuMs();
  const start = performance.now();
  let updates = 0;
  const loop = async (caller: number) => {
    while (performance.now() - start < SECONDS * 1000) {
      await update(caller);
      updates++;
    }
  };
  await Promise.all(Array.from({ length: callers }, (_, caller) => loop(caller)));
  return { perSecond: (updates * 1000) / (performance.now() - start), cpuMsPerUpdate: (cpuMs() - cpuBefore) / updates };
}

async function throughput(): Promise<void> {
  const path = `${url}/apis/coordination.k8s.io/v1/namespaces/default/leases`;
  const agent = new Agent({ connections: 1 });
  const headers = { 'content-type': 'application/json', authorization: 'Bearer plain' };
  const created = await request(path, { method: 'POST', dispatcher: agent, headers, body: JSON.stringify({ metadata: { name: 'plain' }, spec: { holderIdentity: 'plain', leaseDurationSeconds: 15 } }) });
  let lease = (await created.body.json()) as { metadata: { resourceVersion: string }; spec: Record<string, unknown> };
  const plainUpdate = async () => {
    const answer = await request(`${path}/plain`, { method: 'PUT', dispatcher: agent, headers, body: JSON.stringify(lease) });
    if (answer.statusCode !== 200) throw new Error(`plain PUT answered ${answer.statusCode}`);
    lease = (await answer.body.json()) as typeof lease;
  };

  const lock = new KubernetesLeaseLocks(kubeConfigAs('lock')).lockFor({ namespace: 'default', name: 'adapter' }, 'me');
  let observed = await lock.create({ holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: Date.now(), renewTime: Date.now(), leaseTransitions: 0 });
  const adapter = async () => {
    observed = await lock.update({ ...observed.record, renewTime: Date.now() }, observed.resourceVersion);
  };

  // Its objects in a namespace of their own, out of the manager's feed below.
  const store = new KubernetesManagedLeaseStore(kubeConfigAs('store'), { namespace: 'store-only', clock: realClock });
  const storeClaim = async () => void (await store.claim({ namespace: 'leases', model: 'store', lease: 'extended' }, 'holder', DURATION_MS));

  const managerStore = new KubernetesManagedLeaseStore(kubeConfigAs('extends'), { namespace: 'default', clock: realClock });
  const leaseManager = new LeaseManager({ store: managerStore, clock: realClock });
  const claimer = leaseManager.claimer('leases', 'throughput');
  const manager = () => claimer.claim('extended', 'holder', DURATION_MS);
  // As under load: requests queued meanwhile go to the store as one batch.
  const batched = (caller: number) => claimer.claim(`extended-${caller}`, 'holder', DURATION_MS);

  const clients = { plain: [plainUpdate, 1], adapter: [adapter, 1], store: [storeClaim, 1], manager: [manager, 1], batched: [batched, 100] } as const;
  for (const [update, callers] of Object.values(clients)) for (let i = 0; i < 500; i++) await update(i % callers); // warm-up
  const rounds: Record<keyof typeof clients, Rate>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const figures = {} as Record<keyof typeof clients, Rate>;
    for (const [name, [update, callers]] of Object.entries(clients)) figures[name as keyof typeof clients] = await rate(update, callers);
    rounds.push(figures);
  }
  leaseManager.stop();
  await send({ type: 'result', result: { rounds } });
}

const workloads: Record<string, () => Promise<void>> = { manager, electors, throughput };
if (!workloads[mode!] || !process.send) {
  console.error('usage: forked by bench/kubernetes.bench.ts: kubernetesLoad.ts manager|electors|throughput --url URL');
  process.exit(2);
}
await workloads[mode!]!();
process.exit(0);
