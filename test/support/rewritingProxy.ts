/**
 * An HTTP proxy in front of the embedded server that rewrites the JSON it answers — whole bodies and
 * each line of a watch stream — so clients see Lease objects no conforming API server would store
 * (a leaseTransitions of "7", say). Requests are forwarded unchanged.
 */
import { createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RewritingProxy {
  url: string;
  close(): Promise<void>;
}

/** `rewrite` receives each JSON text (a body, or one watch event) and returns what the client gets. */
export async function startRewritingProxy(target: string, rewrite: (json: string) => string): Promise<RewritingProxy> {
  const server = createServer((request, response) => {
    const upstream = forward(`${target}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
      const headers = { ...answer.headers };
      delete headers['content-length'];
      response.writeHead(answer.statusCode ?? 502, headers);
      response.flushHeaders();
      const streaming = (request.url ?? '').includes('watch=');
      let pending = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => {
        if (!streaming) return void (pending += chunk);
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) response.write(`${line ? rewrite(line) : line}\n`);
      });
      answer.on('end', () => response.end(pending ? rewrite(pending) : ''));
    });
    upstream.on('error', () => response.destroy());
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
