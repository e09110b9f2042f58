/** The facade scenarios of test/support/facadeScenarios.ts against a real kube-apiserver. */
import { describe, it } from 'vitest';
import { facadeScenarios } from '../support/facadeScenarios.js';
import { REAL_CLUSTER } from '../support/httpWorld.js';

describe.skipIf(!REAL_CLUSTER)('facades over HTTP against kube-apiserver (needs LEASEHOLD_KUBECONFIG)', () => {
  facadeScenarios('real', it);
});
