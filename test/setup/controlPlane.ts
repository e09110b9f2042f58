/**
 * The real-cluster tests (test/real/) run against LEASEHOLD_KUBECONFIG. When it is unset and the
 * control plane's binaries are cached (`npm run cluster -- --build`; `.ci/run` builds them), the
 * suite starts its own etcd and kube-apiserver for the run and stops them afterwards. With neither,
 * the real-cluster tests are skipped by name, which CI refuses. LEASEHOLD_CONTROL_PLANE=off keeps the
 * suite from starting one.
 */
import { cachedControlPlane } from '../cluster/binaries.js';
import { startControlPlane } from '../cluster/controlPlane.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.LEASEHOLD_KUBECONFIG) {
    console.log(`real-cluster tests run against LEASEHOLD_KUBECONFIG=${process.env.LEASEHOLD_KUBECONFIG}`);
    return undefined;
  }
  if (process.env.LEASEHOLD_CONTROL_PLANE === 'off') return undefined;
  const binaries = cachedControlPlane();
  if (!binaries) {
    console.log('real-cluster tests are skipped: no LEASEHOLD_KUBECONFIG and no control plane built (npm run cluster -- --build builds one)');
    return undefined;
  }
  const controlPlane = await startControlPlane({ binaries, log: (line) => console.log(line) });
  // Test workers start after global setup and inherit the environment.
  process.env.LEASEHOLD_KUBECONFIG = controlPlane.kubeconfig;
  process.env.LEASEHOLD_CONTROL_PLANE_STARTED = controlPlane.url;
  return () => controlPlane.stop();
}
