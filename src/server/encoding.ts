/** How the server answers: JSON bodies with their length, and failures as kube-apiserver's Status. */
import type { ServerResponse } from 'node:http';
import type { Status } from './status.js';

/** A request refused with a Status body; thrown by any step, answered by the handler. */
export class HttpError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
}

export function send(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** kube-apiserver reads a boolean query parameter as true unless it is "0" or "false". */
export function flag(params: URLSearchParams, name: string): boolean {
  if (!params.has(name)) return false;
  const value = params.get(name)!.toLowerCase();
  return value !== '0' && value !== 'false';
}
