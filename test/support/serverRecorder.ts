/**
 * A proxy in front of an embedded server process that records every write of a Lease sent to the
 * server (PUT, POST or PATCH: the holder and term asked for) and every one it acknowledged (2xx:
 * its resourceVersion, holder and term), and can be pointed at a restarted server on another port;
 * while it points nowhere it answers 503.
 */
import { createServer, request as forward } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface AcknowledgedWrite {
  resourceVersion: bigint;
  holder: string;
  transitions: number;
}

/** A write as sent: what its body asked the lease to hold, and whether an answer came back. */
export interface SentWrite {
  holder: string;
  transitions: number;
  answered: boolean;
}

export interface ServerRecorder {
  url: string;
  acknowledged: AcknowledgedWrite[];
  /** Every lease write forwarded to a server, in the order sent. */
  sent: SentWrite[];
  /** Where requests go; undefined: answer 503 (the server is down). Cuts every open connection. */
  target(port: number | undefined): void;
  close(): Promise<void>;
}

export async function startServerRecorder(): Promise<ServerRecorder> {
  let port: number | undefined;
  const acknowledged: AcknowledgedWrite[] = [];
  const sent: SentWrite[] = [];
  const sockets = new Set<Socket>();
  const proxy = createServer((request, response) => {
    if (port === undefined) {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"kind":"Status","apiVersion":"v1","status":"Failure","code":503,"reason":"ServiceUnavailable"}');
      return;
    }
    const isWrite = request.method !== 'GET' && request.method !== 'DELETE' && /\/leases(\/|\?|$)/.test(request.url ?? '');
    const body: Buffer[] = [];
    const write: SentWrite | undefined = isWrite ? { holder: '', transitions: 0, answered: false } : undefined;
    if (write) {
      sent.push(write);
      request.on('data', (chunk: Buffer) => body.push(chunk));
      request.on('end', () => {
        const asked = JSON.parse(Buffer.concat(body).toString() || '{}') as { spec?: { holderIdentity?: string; leaseTransitions?: number } };
        Object.assign(write, { holder: asked.spec?.holderIdentity ?? '', transitions: asked.spec?.leaseTransitions ?? 0 });
      });
    }
    const upstream = forward({ host: '127.0.0.1', port, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      if (write) write.answered = true;
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders();
      const acknowledging = isWrite && (answer.statusCode ?? 0) < 300;
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => {
        if (acknowledging) chunks.push(chunk);
        response.write(chunk);
      });
      answer.on('end', () => {
        if (acknowledging) {
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
    sent,
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
