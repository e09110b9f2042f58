/** The official Python client live (test/peers/pythonClientScenarios.ts) on kube-apiserver. */
import { pythonClientScenarios } from '../peers/pythonClientScenarios.js';
import { describeOnRealCluster } from '../support/realCluster.js';

describeOnRealCluster('the official Python client on kube-apiserver', () => pythonClientScenarios('real'));
