/** Chaos over a mixed fleet (test/peers/chaosScenario.ts) on kube-apiserver. */
import { chaosScenario } from '../peers/chaosScenario.js';
import { describeOnRealCluster } from '../support/realCluster.js';

describeOnRealCluster('chaos over a mixed fleet of client-go and leasehold on kube-apiserver', () => chaosScenario('real'));
