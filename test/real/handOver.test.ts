/**
 * The hand-over table of test/support/handOverScenarios.ts against kube-apiserver: with feature gates
 * as shipped (the shared cluster), and with CoordinatedLeaderElection on (a private control plane),
 * where kube-apiserver keeps spec.strategy and spec.preferredHolder.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ControlPlane } from '../cluster/controlPlane.js';
import { handOverScenarios } from '../support/handOverScenarios.js';
import { describeOnPrivateControlPlane, describeOnRealCluster, privateControlPlane } from '../support/realCluster.js';

describeOnRealCluster('hand-over on kube-apiserver', () => {
  handOverScenarios('real', it, { coordinated: false });
});

describeOnPrivateControlPlane('hand-over on kube-apiserver with the CoordinatedLeaderElection gate on', () => {
  let controlPlane: ControlPlane | undefined;
  beforeAll(async () => {
    controlPlane = await privateControlPlane({ coordinated: true });
  }, 180_000);
  afterAll(() => controlPlane?.stop());

  describe('the table', () => {
    handOverScenarios(() => controlPlane!.kubeconfig, it, { coordinated: true });
  });

});
