/**
 * The embedded server for HTTP benchmarks, counting requests per client: each client's kubeconfig
 * carries its own bearer token (the server checks none), and `requests` counts "<token> <verb>".
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesLeaseLocks } from '../src/kubernetes/leaseLock.js';
import { startLeaseApiServer } from '../src/server/index.js';

export async function startAttributedServer() {
  const requests = new Map<string, number>();
  const server = await startLeaseApiServer({
    onRequest: (verb, _code, request) => {
      const key = `${request.headers.authorization?.replace('Bearer ', '') ?? '-'} ${verb}`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
    },
  });
  /** Locks whose requests are counted under `who`. */
  const locksFor = (who: string) => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(server.kubeConfig().replace('  user: {}', `  user:\n    token: ${who}`));
    return new KubernetesLeaseLocks(kubeConfig);
  };
  return { server, requests, locksFor };
}
