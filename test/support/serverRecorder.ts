/**
 * A proxy in front of an embedded server process that records every write the server
 * acknowledged (2xx to a PUT, POST or PATCH of a Lease: its resourceVersion, holder and term) and
 * can be pointed at a restarted server on another port; while it points nowhere it answers 503.
 */
import { createServer, request as forward } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface AcknowledgedWrite {
  resourceVersion: bigint;
  holder: string;
  transitions: number;
}

export interface ServerRecorder {
  url: string;
  acknowledged: AcknowledgedWrite[];
  /** Where requests go; undefined: answer 503 (the server is down). Cuts every open connection. */
  target(port: number | undefined): void;
  close(): Promise<void>;
}

export async function startServerRecorder(): Promise<ServerRecorder> {
  let port: number | undefined;
  const acknowledged: AcknowledgedWrite[] = [];
  const sockets = new Set<Socket>();
  const proxy = createServer((request, response) => {
    if (port === undefined) {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"kind":"Status","apiVersion":"v1","status":"Failure","code":503,"reason":"ServiceUnavailable"}');
      return;
    }
    const upstream = forward({ host: '127.0.0.1', port, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders();
      const write = request.method !== 'GET' && request.method !== 'DELETE' && /\/leases(\/|\?|$)/.test(request.url ?? '') && (answer.statusCode ?? 0) < 300;
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => {
        if (write) chunks.push(chunk);
        response.write(chunk);
      });
      answer.on('end', () => {
        if (write) {
          const lease = JSON.parse(Buffer.concat(chunks).toString()) as { metadata: { resourceVersion?: string }; spec?: { holderIdentity?: string; leaseTransitions?: number } };
          if (lease.metadata.resourceVersion) {
            acknowledged.push({ resourceVersion: BigInt(lease.metadata.resourceVersion), holder: lease.spec?.holderIdentity ?? '', transitions: lease.spec?.leaseTransitions ?? 0 });
          }
        }
        response.end();
      });
      answer.on('error', () => response.destroy());
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  proxy.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    acknowledged,
    target(next) {
      port = next;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}
