/**
 * Planted faults for the lost-update checker (contention.ts): a front between the contention
 * clients and the embedded server that wrongs them as a broken API server would. Each must be seen
 * by lostUpdates as the count it names.
 */
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LostUpdates } from './contention.js';

export interface ContentionFault {
  /** The count of lostUpdates that must see it. */
  seenAs: keyof LostUpdates;
  /** The fault strikes at this request of its kind (the nth update, the nth watch event). */
  at: number;
  /** Answers the nth update itself, or rewrites an answer or a watch stream; undefined: forward as is. */
  tamper: 'acknowledgesUnstored' | 'answersOlderVersion' | 'swapsWatchEvents';
}

export const CONTENTION_FAULTS: Record<string, ContentionFault> = {
  /** An update answered 200 (its body, a new resourceVersion) but never stored: the classic lost update. */
  'acknowledges an update it never stored': { seenAs: 'missing', at: 50, tamper: 'acknowledgesUnstored' },
  /** An update stored, but answered with the version it replaced. */
  'answers an update with the version it replaced': { seenAs: 'versionMismatch', at: 50, tamper: 'answersOlderVersion' },
  /** A watch that delivers two changes in the wrong order. */
  'delivers two watch events out of order': { seenAs: 'outOfOrder', at: 50, tamper: 'swapsWatchEvents' },
};

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });

/** Starts the front for `fault` before `target` (the embedded server's URL). */
export async function startFaultyFront(target: string, fault: ContentionFault): Promise<{ url: string; close(): Promise<void> }> {
  let updates = 0;
  let watchEvents = 0;
  const send = (response: ServerResponse, status: number, body: string) =>
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);

  const server = createServer(async (request, response) => {
    const body = request.method === 'PUT' ? await readBody(request) : undefined;
    const nth = request.method === 'PUT' ? ++updates : 0;
    if (fault.tamper === 'acknowledgesUnstored' && nth === fault.at) {
      const lease = JSON.parse(body!) as { metadata: { resourceVersion: string } };
      lease.metadata.resourceVersion = String(BigInt(lease.metadata.resourceVersion) + 1n);
      return send(response, 200, JSON.stringify(lease));
    }
    const upstream = forward(`${target}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
      const watch = /[?&]watch=true/.test(request.url ?? '');
      if (fault.tamper === 'answersOlderVersion' && nth === fault.at && answer.statusCode === 200) {
        void readBody(answer).then((text) => {
          const sent = JSON.parse(body!) as { metadata: { resourceVersion: string } };
          const lease = JSON.parse(text) as { metadata: { resourceVersion: string } };
          lease.metadata.resourceVersion = sent.metadata.resourceVersion;
          send(response, 200, JSON.stringify(lease));
        });
        return;
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders();
      if (!(watch && fault.tamper === 'swapsWatchEvents')) return void answer.pipe(response);
      // Line by line; the fault.at-th event is held back and sent after the one following it.
      let buffer = '';
      let held: string | undefined;
      answer.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines.filter(Boolean)) {
          if (++watchEvents === fault.at) held = line;
          else {
            response.write(`${line}\n`);
            if (held !== undefined) response.write(`${held}\n`), (held = undefined);
          }
        }
      });
      answer.on('end', () => response.end());
    });
    upstream.on('error', () => response.destroy());
    if (body === undefined) request.pipe(upstream);
    else upstream.end(body);
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
