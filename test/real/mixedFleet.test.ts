/** The mixed-fleet scenarios (test/peers/mixedFleetScenarios.ts) on kube-apiserver. */
import { mixedFleetScenarios } from '../peers/mixedFleetScenarios.js';
import { describeOnRealCluster } from '../support/realCluster.js';

describeOnRealCluster('mixed fleet of client-go and leasehold on kube-apiserver', () => mixedFleetScenarios('real'));
