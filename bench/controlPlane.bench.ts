/**
 * Hand-over and crash failover on the real kube-apiserver beside the embedded server, in one run:
 * the measurement of bench/http.bench.ts (two LeaseLockers at a time on KubernetesLeaseLock over
 * @kubernetes/client-node, real time, lease 1 s / renew deadline 800 ms / retry 500 ms), against
 * each server in turn. kube-apiserver and etcd are the ones `npm run cluster` builds (built here
 * first if they are not cached).
 *
 *   npx tsx bench/controlPlane.bench.ts [--runs 100]
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesLeaseLocks } from '../src/kubernetes/leaseLock.js';
import { startLeaseApiServer } from '../src/server/index.js';
import { controlPlaneBinaries } from '../test/cluster/binaries.js';
import { startControlPlane } from '../test/cluster/controlPlane.js';
import { FAST_TIMING, measureHandOvers, realWorld } from './handover.js';
import { ms, option, percentile, printTable } from './stats.js';

const RUNS = option('runs', 100);

async function measure(server: string, kubeConfig: KubeConfig) {
  const locks = new KubernetesLeaseLocks(kubeConfig, { kubernetesEvents: false });
  const lastRenew = async () => (await locks.lockFor({ namespace: 'default', name: 'bench-crash' }, 'reader').get()).record.renewTime!;
  const handOvers = await measureHandOvers(realWorld, locks, FAST_TIMING, RUNS, false, lastRenew);
  const failovers = await measureHandOvers(realWorld, locks, FAST_TIMING, RUNS, true, lastRenew);
  const row = (what: string, samples: number[]) => ({ server, what, runs: samples.length, p50: ms(percentile(samples, 50)), p99: ms(percentile(samples, 99)), max: ms(Math.max(...samples)) });
  return [row('graceful hand-over (release -> next leads)', handOvers), row('crash failover - leaseDuration', failovers)];
}

const embedded = await startLeaseApiServer();
const embeddedConfig = new KubeConfig();
embeddedConfig.loadFromString(embedded.kubeConfig());
const binaries = await controlPlaneBinaries({ log: (line) => console.error(line) });
const controlPlane = await startControlPlane({ binaries, log: (line) => console.error(line) });
const realConfig = new KubeConfig();
realConfig.loadFromFile(controlPlane.kubeconfig);
try {
  const rows = [...(await measure('embedded', embeddedConfig)), ...(await measure(`kube-apiserver v${binaries.kubernetesVersion}`, realConfig))];
  console.log(`hand-over and crash failover, lease ${FAST_TIMING.leaseDuration} ms / renew deadline ${FAST_TIMING.renewDeadline} ms / retry ${FAST_TIMING.retryPeriod} ms, ${RUNS} runs each:`);
  printTable(rows);
} finally {
  await embedded.close();
  await controlPlane.stop();
}
process.exit(0);
