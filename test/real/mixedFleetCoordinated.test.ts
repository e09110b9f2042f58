/**
 * spec.strategy between leasehold and client-go on kube-apiserver with CoordinatedLeaderElection on
 * (a private control plane), where the server keeps the field: leasehold's renews keep it, client-go's
 * first write drops it (test/peers/mixedFleetScenarios.ts).
 */
import { afterAll, beforeAll } from 'vitest';
import type { ControlPlane } from '../cluster/controlPlane.js';
import { strategyScenario } from '../peers/mixedFleetScenarios.js';
import { describeOnPrivateControlPlane, privateControlPlane } from '../support/realCluster.js';

describeOnPrivateControlPlane('client-go and leasehold on kube-apiserver with CoordinatedLeaderElection on', () => {
  let controlPlane: ControlPlane | undefined;
  beforeAll(async () => {
    controlPlane = await privateControlPlane({ coordinated: true });
  }, 180_000);
  afterAll(async () => {
    await controlPlane?.stop();
  });
  strategyScenario('real', () => ({ kubeconfig: controlPlane!.kubeconfig }));
});
