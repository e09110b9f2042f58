/**
 * An HTTP proxy in front of the embedded server that tests can turn against a client: answer
 * requests itself (a 409, a 403, a 503 outage), hold them unanswered (a hung API server), or cut
 * every open connection (a network drop that ends watches). Everything else is forwarded as is.
 */
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault = { status: number; body: object } | 'hold';

export interface FaultProxy {
  url: string;
  /** Decides, per request, whether to answer or hold it instead of forwarding (undefined: forward). */
  faults: ((request: IncomingMessage) => Fault | undefined) | undefined;
  /** Resolves once `count` requests have been held. */
  whenHeld(count: number): Promise<void>;
  /** Resolves once no forwarded exchange is open (every watch through the proxy has ended). */
  whenIdle(): Promise<void>;
  /** Destroys every open client connection (ends watches with an error). */
  cut(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const held: IncomingMessage[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const resolve of waiters) resolve();
    waiters.clear();
  };
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise<void>((resolve) => waiters.add(resolve));
  };
  let forwarding = 0;
  const proxy: FaultProxy = {
    url: '',
    faults: undefined,
    whenHeld: (count) => until(() => held.length >= count),
    whenIdle: () => until(() => forwarding === 0),
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const pass = (request: IncomingMessage, response: ServerResponse) => {
    forwarding++;
    const upstream = forward(`${target}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders(); // watches: the client must see the 200 before the first event
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    response.on('close', () => {
      upstream.destroy();
      forwarding--;
      wake();
    });
    request.pipe(upstream);
  };

  const server = createServer((request, response) => {
    const fault = proxy.faults?.(request);
    if (fault === undefined) return pass(request, response);
    if (fault === 'hold') {
      held.push(request);
      wake();
      return;
    }
    request.resume(); // answered without reading the body
    const text = JSON.stringify(fault.body);
    response.writeHead(fault.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
