/**
 * Where the CLI's leases live: the kubeconfig given (--kubeconfig, else $KUBECONFIG, as kubectl),
 * or, with neither, an embedded server started in this process — its kubeconfig is written so other
 * commands can join it.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../lock/kubeConfig.js';
import { startLeaseApiServer } from '../server/index.js';

export interface Connection {
  kubeConfig: KubeConfig;
  description: string;
  close(): Promise<void>;
}

export async function connect(kubeconfigFlag: string | undefined, print: (line: string) => void): Promise<Connection> {
  const file = kubeconfigFlag ?? process.env.KUBECONFIG;
  if (file) {
    const kubeConfig = loadKubeConfig(kubeconfigFlag);
    return { kubeConfig, description: `${kubeConfig.getCurrentCluster()?.server} (${file})`, close: async () => {} };
  }
  const server = await startLeaseApiServer();
  const path = join(tmpdir(), `leasehold-${process.pid}.kubeconfig`);
  writeFileSync(path, server.kubeConfig(), { mode: 0o600 });
  print(`no kubeconfig given: using an embedded Lease API server at ${server.url} (others can join with --kubeconfig ${path})`);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeConfig());
  return { kubeConfig, description: server.url, close: () => server.close() };
}
