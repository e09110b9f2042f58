// A program written as a user of the published package would: ESM, moduleResolution nodenext.
// It starts the embedded server, elects a leader through the real Kubernetes adapter, releases, stops.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAND_OVER_ANNOTATION, HandOverError, KubernetesLeaseLocks, LeaderElector, LeadershipError, createLogger, loadKubeConfig, type Logger } from 'leasehold';
import { leaseParticipantMachine } from 'leasehold/machines';
import { startLeaseApiServer } from 'leasehold/server';
import { MemoryLeaseStore, VirtualClock } from 'leasehold/testing';
import type { LiveView } from 'leasehold/live-view';

const directory = process.argv[2]!;
const logger: Logger = createLogger({ level: 'info', format: 'json', write: (line) => process.stderr.write(line) });
const server = await startLeaseApiServer();
const kubeconfig = join(directory, 'kubeconfig');
writeFileSync(kubeconfig, server.kubeConfig());

const locks = new KubernetesLeaseLocks(loadKubeConfig(kubeconfig));
const done = new AbortController();
const elector: LeaderElector = new LeaderElector({
  lock: locks.lockFor({ namespace: 'default', name: 'smoke' }, 'smoke-1'),
  leaseDuration: 15_000,
  renewDeadline: 10_000,
  retryPeriod: 2_000,
  releaseOnCancel: true,
  logger,
  callbacks: {
    onStartedLeading: (signal) => {
      console.log(`leading ${elector.isLeader()} term ${elector.term} signal ${signal === elector.leadershipSignal}`);
      done.abort();
    },
    onStoppedLeading: () => console.log('stopped leading'),
  },
});
await elector.run({ signal: done.signal });

const stored = (await (await fetch(`${server.url}/apis/coordination.k8s.io/v1/namespaces/default/leases/smoke`)).json()) as {
  spec: { holderIdentity?: string; leaseTransitions?: number };
};
console.log(`stored holder ${JSON.stringify(stored.spec.holderIdentity)} transitions ${stored.spec.leaseTransitions}`);
await server.close();

// The other entry points resolve and carry their types.
const clock = new VirtualClock();
const store = new MemoryLeaseStore(clock);
const view: LiveView | undefined = undefined;
console.log(`machine ${leaseParticipantMachine.id}, store ${typeof store.lockFor}, view ${typeof view}, error ${new LeadershipError('x').name}, ${new HandOverError('x', {}, 'pod-2', 'timeout').name} ${HAND_OVER_ANNOTATION}`);
