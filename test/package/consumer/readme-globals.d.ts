// What README's examples take as given: the reader's own lock, kubeconfig and work.
import type { KubernetesLeaseLocks, LeaseLock, loadKubeConfig } from 'leasehold';

declare global {
  const lock: LeaseLock;
  const locks: KubernetesLeaseLocks;
  const kubeConfig: ReturnType<typeof loadKubeConfig>;
  const shutdown: AbortController;
  function reconcileUntil(signal: AbortSignal): Promise<void>;
  function backup(signal: AbortSignal): Promise<void>;
  function demoteToReplica(): void;
}
export {};
