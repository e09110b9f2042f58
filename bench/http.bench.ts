/**
 * Over HTTP on loopback (embedded server, KubernetesLeaseLock on @kubernetes/client-node, real time):
 * graceful hand-over and crash failover over `--runs` runs, and the API requests per minute of a
 * leader and of a candidate in steady state (defaults 15 s / 10 s / 2 s), by Kubernetes verb.
 *
 *   npx tsx bench/http.bench.ts [--runs 100] [--steady-seconds 60]
 */
import { LeaseLocker } from '../src/api/leaseLocker.js';
import { startAttributedServer } from './attributedServer.js';
import { FAST_TIMING, measureHandOvers, realWorld, sleep } from './handover.js';
import { ms, option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 100);
const STEADY_SECONDS = option('steady-seconds', 60);
const { server, requests, locksFor } = await startAttributedServer();
const locks = locksFor('bench');
const lastRenew = async () => (await locks.lockFor({ namespace: 'default', name: 'bench-crash' }, 'reader').get()).record.renewTime!;

const handOvers = await measureHandOvers(realWorld, locks, FAST_TIMING, RUNS, false, lastRenew);
const failovers = await measureHandOvers(realWorld, locks, FAST_TIMING, RUNS, true, lastRenew);

const ref = { namespace: 'default', name: 'bench-steady' };
const leader = new LeaseLocker({ locks: locksFor('leader'), lease: ref, owner: 'leader', leaseDuration: 15_000 });
await leader.lock();
const candidate = new LeaseLocker({ locks: locksFor('candidate'), lease: ref, owner: 'candidate', leaseDuration: 15_000 });
candidate.lock().catch(() => undefined);
await sleep(3_000); // both in steady state
requests.clear();
await sleep(STEADY_SECONDS * 1000);
const rate = (who: string) =>
  Object.fromEntries(
    ['get', 'list', 'watch', 'create', 'update'].map((verb) => [verb, +(((requests.get(`${who} ${verb}`) ?? 0) * 60) / STEADY_SECONDS).toFixed(1)]),
  );
const leaderRate = rate('leader');
const candidateRate = rate('candidate');
leader.actor.stop();
candidate.actor.stop();
await server.close();

console.log(`over HTTP on loopback: lease ${FAST_TIMING.leaseDuration} ms / renew deadline ${FAST_TIMING.renewDeadline} ms / retry ${FAST_TIMING.retryPeriod} ms`);
printTable([
  { what: 'graceful hand-over (release -> next leads)', runs: handOvers.length, p50: ms(percentile(handOvers, 50)), p99: ms(percentile(handOvers, 99)) },
  { what: 'crash failover - leaseDuration', runs: failovers.length, p50: ms(percentile(failovers, 50)), p99: ms(percentile(failovers, 99)) },
]);
console.log(`\nsteady state, lease 15 s / renew deadline 10 s / retry 2 s, ${STEADY_SECONDS} s each, requests per minute:`);
printTable([
  { who: 'leader', ...leaderRate },
  { who: 'candidate (watching)', ...candidateRate },
]);
process.exit(0);
