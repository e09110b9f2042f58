/**
 * Where the CLI's leases live: the cluster found as kubectl finds it (src/kubernetes/kubeConfig.ts), or,
 * only when asked with --embedded, a Lease API server inside this process. The embedded server is
 * private to the process (no other replica can see it), so it is never a silent fallback, and no
 * kubeconfig is written for it.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../lease/errors.js';
import { findKubeConfig, type FoundKubeConfig } from '../kubernetes/kubeConfig.js';
import type { Logger } from '../log/logger.js';

export interface Connection {
  kubeConfig: KubeConfig;
  /** --namespace, else the service account's, else the kubeconfig context's, else "default". */
  namespace: string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  kubeconfig: string | undefined;
  namespace: string | undefined;
  /** --embedded, for the commands that take it (run); undefined for those that do not. */
  embedded?: boolean;
}

export async function connect({ kubeconfig, namespace, embedded }: ConnectOptions, logger: Logger): Promise<Connection> {
  if (embedded) {
    if (kubeconfig !== undefined) throw new ConfigError('--embedded and --kubeconfig exclude each other', '--embedded');
    const { startLeaseApiServer } = await import('../server/index.js');
    const server = await startLeaseApiServer();
    logger.warn('--embedded: leases live in a Lease API server inside this process; no other process can share them', { url: server.url });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(server.kubeConfig());
    return { kubeConfig, namespace: namespace ?? 'default', close: () => server.close() };
  }
  let found: FoundKubeConfig;
  try {
    found = findKubeConfig({ file: kubeconfig, fileLabel: '--kubeconfig' });
  } catch (error) {
    // Only a command that takes --embedded suggests it.
    if (embedded === false && error instanceof ConfigError && error.message.startsWith('no cluster found')) {
      throw new ConfigError(`${error.message} (or pass --embedded for a private Lease API server in this process)`, 'kubeconfig');
    }
    throw error;
  }
  logger.info('cluster found', { server: found.kubeConfig.getCurrentCluster()?.server, from: found.source });
  return { kubeConfig: found.kubeConfig, namespace: namespace ?? found.namespace, close: async () => {} };
}
