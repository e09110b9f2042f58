/**
 * An HTTP proxy in front of the embedded server that tests can turn against a client: answer
 * requests itself (a 409, a 403, a 503 outage), hold them unanswered (a hung API server) and let
 * them through later, end every open stream the way a server ends a watch at its timeoutSeconds,
 * or cut every open connection (a network drop). Everything else is forwarded as is.
 */
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault = { status: number; body: object } | 'hold';

export interface FaultProxy {
  url: string;
  /** Decides, per request, whether to answer or hold it instead of forwarding (undefined: forward). */
  faults: ((request: IncomingMessage) => Fault | undefined) | undefined;
  /** Every request received, as "METHOD url", in order. */
  readonly seen: string[];
  /** Resolves once `count` requests have been held. */
  whenHeld(count: number): Promise<void>;
  /** Resolves once `count` held requests have been given up by their client (it closed the connection). */
  whenHeldAbandoned(count: number): Promise<void>;
  /** Resolves once `count` requests have been received. */
  whenSeen(count: number): Promise<void>;
  /** Resolves once no forwarded exchange is open (every watch through the proxy has ended). */
  whenIdle(): Promise<void>;
  /** Forwards every request held so far whose client is still waiting. */
  release(): void;
  /** Ends every forwarded response cleanly, as a server ends a watch at its timeoutSeconds. */
  endStreams(): void;
  /** Destroys every open client connection (ends watches with an error). */
  cut(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const held = new Set<{ request: IncomingMessage; response: ServerResponse }>();
  const open = new Set<ServerResponse>();
  let heldCount = 0;
  let abandoned = 0;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const resolve of waiters) resolve();
    waiters.clear();
  };
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise<void>((resolve) => waiters.add(resolve));
  };

  const pass = (request: IncomingMessage, response: ServerResponse) => {
    open.add(response);
    const upstream = forward(`${target}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders(); // watches: the client must see the 200 before the first event
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    response.on('close', () => {
      upstream.destroy();
      open.delete(response);
      wake();
    });
    request.pipe(upstream);
  };

  const proxy: FaultProxy = {
    url: '',
    faults: undefined,
    seen: [],
    whenHeld: (count) => until(() => heldCount >= count),
    whenHeldAbandoned: (count) => until(() => abandoned >= count),
    whenSeen: (count) => until(() => proxy.seen.length >= count),
    whenIdle: () => until(() => open.size === 0),
    release: () => {
      for (const exchange of [...held]) {
        held.delete(exchange);
        pass(exchange.request, exchange.response);
      }
    },
    endStreams: () => {
      for (const response of open) response.end();
    },
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const server = createServer((request, response) => {
    proxy.seen.push(`${request.method} ${request.url}`);
    wake();
    const fault = proxy.faults?.(request);
    if (fault === undefined) return pass(request, response);
    if (fault === 'hold') {
      const exchange = { request, response };
      held.add(exchange);
      heldCount++;
      response.on('close', () => {
        if (!held.delete(exchange)) return;
        abandoned++;
        wake();
      });
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
