/**
 * A pod's view of the cluster without a kubeconfig: KUBERNETES_SERVICE_HOST/PORT pointing at the
 * API server behind TLS (the test certificate in test/fixtures/tls) and a service account directory
 * (token, ca.crt, namespace) under a fake root that LEASEHOLD_IN_CLUSTER_ROOT names.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';

const TLS = join(import.meta.dirname, '../fixtures/tls');

export interface FakePod {
  /** Variables for a process in the pod: in-cluster service, fake root, an empty HOME, no KUBECONFIG. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** TLS in front of `apiPort` on 127.0.0.1, and a service account with `token` in `namespace`. */
export async function fakePod(apiPort: number, { token, namespace }: { token: string; namespace: string }): Promise<FakePod> {
  const root = mkdtempSync(join(tmpdir(), 'leasehold-pod-'));
  const serviceAccount = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(serviceAccount, { recursive: true });
  mkdirSync(join(root, 'home'));
  const cert = readFileSync(join(TLS, 'cert.pem'));
  writeFileSync(join(serviceAccount, 'token'), token);
  writeFileSync(join(serviceAccount, 'ca.crt'), cert);
  writeFileSync(join(serviceAccount, 'namespace'), namespace);

  const sockets = new Set<Socket>();
  const proxy = createServer({ cert, key: readFileSync(join(TLS, 'key.pem')) }, (client) => {
    const upstream = connect(apiPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    env: {
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String((proxy.address() as AddressInfo).port),
      LEASEHOLD_IN_CLUSTER_ROOT: root,
      HOME: join(root, 'home'),
      KUBECONFIG: '',
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
