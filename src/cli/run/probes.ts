/**
 * The runner's HTTP endpoints, on controller-runtime's flags: --health-probe-bind-address serves
 * /healthz (client-go's HealthzAdaptor: fails when this process believes it leads but its renewal
 * is stuck) and /readyz; --metrics-bind-address serves /metrics (prom-client, loaded only when
 * asked). A port alone (":8081") binds every interface, as Go's net.Listen does, so kubelet probes
 * and Prometheus scrapes reach it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BindAddress, cannotListen } from '../flags.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface Endpoint {
  /** http://HOST:PORT as bound (the real port when :0 was asked). */
  url: string;
  close(): Promise<void>;
}

/** Serves `routes` on `address`; a bind failure is a ConfigError naming `flag`. */
export async function serveEndpoint(address: BindAddress, flag: string, routes: Record<string, Handler>): Promise<Endpoint> {
  const server: Server = createServer((request, response) => {
    const route = routes[new URL(request.url ?? '/', 'http://probe').pathname];
    if (route) route(request, response);
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(cannotListen(error, address.text, flag)));
    server.listen({ port: address.port, ...(address.host ? { host: address.host } : {}) }, resolve);
  });
  const { address: host, port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const readyHandler: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
};
