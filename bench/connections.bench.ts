/**
 * Connections and requests the Kubernetes adapters cost, counted by the API server (in its own
 * process, bench/countingServerProcess.ts): one LeaderElector renewing every 100 ms until it has renewed
 * `--renews` times (its writes plus its watch), and `--operations` LeaseManager operations on
 * KubernetesManagedLeaseStore (claims of `--leases` leases, then extends of them, in rounds), with
 * the client's and the server's CPU per operation.
 *
 *   npx tsx bench/connections.bench.ts [--renews 100] [--operations 1000] [--leases 250]
 */
import { filter, firstValueFrom } from 'rxjs';
import { LeaderElector } from '../src/api/leaderElector.js';
import { LeaseManager } from '../src/api/leaseManager.js';
import { KubernetesLeaseLock } from '../src/kubernetes/leaseLock.js';
import { KubernetesManagedLeaseStore } from '../src/kubernetes/managed/store.js';
import { realClock } from '../src/time/realClock.js';
import type { ServerStats } from './countingServerProcess.js';
import { startCountingServer } from './countingServer.js';
import { option, printTable } from './stats.js';

const RENEWS = option('renews', 100);
const OPERATIONS = option('operations', 1000);
const LEASES = option('leases', 250);

const server = await startCountingServer();
const requestsOf = (stats: ServerStats, who: string) =>
  Object.fromEntries(Object.entries(stats.requests).filter(([key]) => key.startsWith(`${who} `)).map(([key, n]) => [key.slice(who.length + 1), n]));
const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([verb, n]) => [verb, n - (before[verb] ?? 0)]).filter(([, n]) => n !== 0));
const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
const describeRequests = (requests: Record<string, number>) =>
  Object.entries(requests)
    .sort()
    .map(([verb, n]) => `${verb} ${n}`)
    .join(', ');

// One elector, renewing every 100 ms.
const lock = new KubernetesLeaseLock(server.kubeConfig('elector'), { namespace: 'default', name: 'bench-connections' }, 'elector');
const elector = new LeaderElector({
  lock,
  leaseDuration: 1_000,
  renewDeadline: 500,
  retryPeriod: 100,
  callbacks: { onStartedLeading: () => undefined, onStoppedLeading: () => undefined },
});
const stop = new AbortController();
const before = await server.stats();
const ran = elector.run({ signal: stop.signal });
await firstValueFrom(elector.state$.pipe(filter((snapshot) => snapshot.context.counters.renewals >= RENEWS)));
const afterRenews = await server.stats();
stop.abort();
await ran;

// LeaseManager operations: claims, then rounds of extends, every round concurrent.
const managerStart = await server.stats();
const store = new KubernetesManagedLeaseStore(server.kubeConfig('manager'), { namespace: 'default', clock: realClock });
const manager = new LeaseManager({ store, clock: realClock });
const claimer = manager.claimer('leases', 'bench');
const names = Array.from({ length: LEASES }, (_, i) => `lease-${i}`);
await claimer.claim('warm-up', 'holder', 60_000); // the feed is up and the first connection open
const managerBefore = await server.stats();
const cpuBefore = cpuMs();
const wallBefore = performance.now();
let operations = 0;
while (operations < OPERATIONS) {
  const round = names.slice(0, Math.min(LEASES, OPERATIONS - operations));
  await Promise.all(round.map((name) => claimer.claim(name, 'holder', 60_000)));
  operations += round.length;
}
const wallMs = performance.now() - wallBefore;
const clientCpu = cpuMs() - cpuBefore;
const managerAfter = await server.stats();
manager.stop();
server.close();

console.log(`\nconnections accepted by the API server (its own process), requests by verb:`);
printTable([
  {
    what: `1 LeaderElector, ${RENEWS} renews (retry 100 ms)`,
    connections: afterRenews.connections - before.connections,
    requests: describeRequests(delta(requestsOf(afterRenews, 'elector'), requestsOf(before, 'elector'))),
  },
  {
    what: `LeaseManager, ${OPERATIONS} operations (${LEASES} leases), its feed included`,
    connections: managerAfter.connections - managerStart.connections,
    requests: describeRequests(delta(requestsOf(managerAfter, 'manager'), requestsOf(managerBefore, 'manager'))),
  },
]);
console.log(`\nLeaseManager over KubernetesManagedLeaseStore, ${OPERATIONS} operations in ${(wallMs / 1000).toFixed(2)} s:`);
printTable([
  {
    'operations/s': Math.round((OPERATIONS * 1000) / wallMs),
    'client CPU per operation': `${(clientCpu / OPERATIONS).toFixed(3)} ms`,
    'server CPU per operation': `${((managerAfter.cpuMs - managerBefore.cpuMs) / OPERATIONS).toFixed(3)} ms`,
  },
]);
process.exit(0);
