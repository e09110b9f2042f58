/**
 * A reverse proxy that counts the requests of one client, for request rates on any API server: plain
 * HTTP in front of the embedded server, HTTPS (the test certificate of test/fixtures/tls, HTTP/1.1)
 * in front of kube-apiserver, forwarding over TLS with the cluster's own CA. A client reaches it with
 * `kubeconfigFor(base)`: the base kubeconfig with only the server (and its CA) changed.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import yaml from 'js-yaml';

const TLS = join(import.meta.dirname, '../test/fixtures/tls');

interface KubeconfigFile {
  clusters: { cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string; 'insecure-skip-tls-verify'?: boolean } }[];
}

export interface CountingProxy {
  /** Requests by "VERB" (GET, PUT, POST, WATCH for a GET with watch=true), since the last reset. */
  counts(): Record<string, number>;
  reset(): void;
  /** The base kubeconfig (YAML) pointed at this proxy. */
  kubeconfigFor(base: string): string;
  close(): Promise<void>;
}

export async function startCountingProxy(baseKubeconfig: string): Promise<CountingProxy> {
  const config = yaml.load(baseKubeconfig) as KubeconfigFile;
  const upstream = new URL(config.clusters[0]!.cluster.server);
  const tls = upstream.protocol === 'https:';
  const caData = config.clusters[0]!.cluster['certificate-authority-data'];
  const caFile = config.clusters[0]!.cluster['certificate-authority'];
  const ca = caData ? Buffer.from(caData, 'base64') : caFile ? readFileSync(caFile) : undefined;
  let counts: Record<string, number> = {};

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const verb = request.method === 'GET' && /[?&]watch=(true|1)/i.test(request.url ?? '') ? 'WATCH' : (request.method ?? '?');
    counts[verb] = (counts[verb] ?? 0) + 1;
    const options = { hostname: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: { ...request.headers, host: upstream.host } };
    const forward = tls ? httpsRequest({ ...options, ca, rejectUnauthorized: ca !== undefined }) : httpRequest(options);
    forward.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders(); // watches: the client must see the 200 before the first event
      answer.pipe(response);
    });
    forward.on('error', () => response.destroy());
    response.on('close', () => forward.destroy());
    request.pipe(forward);
  };
  const server = tls
    ? createHttpsServer({ key: readFileSync(join(TLS, 'key.pem')), cert: readFileSync(join(TLS, 'cert.pem')) }, handle)
    : createHttpServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
    kubeconfigFor: (base) => {
      const copy = yaml.load(base) as KubeconfigFile;
      for (const { cluster } of copy.clusters) {
        cluster.server = url;
        if (tls) {
          delete cluster['certificate-authority'];
          cluster['certificate-authority-data'] = readFileSync(join(TLS, 'cert.pem')).toString('base64');
        }
      }
      return yaml.dump(copy);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
