/** Plain HTTP calls to an embedded server (JSON in, parsed JSON out), and one short leadership through the Kubernetes adapter. */
import { KubeConfig } from '@kubernetes/client-node';
import { LeaderElector } from '../../src/api/leaderElector.js';
import { KubernetesLeaseLocks } from '../../src/kubernetes/leaseLock.js';

// Parsed bodies are checked by the tests' expectations, field by field.
export type Body = any;

/** `call(method, path, body?, contentType?)` against `base`: the status and the parsed body. */
export function serverCalls(base: () => string) {
  return async (method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: Body }> => {
    const response = await fetch(base() + path, { method, headers: { 'content-type': type }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** `identity` takes the lease through KubernetesLeaseLock and lets it go at once (events: "became leader", "stopped leading"). */
export async function leadOnce(locks: KubernetesLeaseLocks | string, name: string, identity: string): Promise<void> {
  let factory: KubernetesLeaseLocks;
  if (typeof locks === 'string') {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(locks);
    factory = new KubernetesLeaseLocks(kubeConfig);
  } else {
    factory = locks;
  }
  const controller = new AbortController();
  const elector = new LeaderElector({
    lock: factory.lockFor({ namespace: 'default', name }, identity),
    leaseDuration: 2_000,
    renewDeadline: 1_500,
    retryPeriod: 500,
    releaseOnCancel: true,
    callbacks: { onStartedLeading: () => controller.abort(), onStoppedLeading: () => {} },
  });
  await elector.run({ signal: controller.signal });
}
