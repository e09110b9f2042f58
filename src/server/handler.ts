/**
 * The HTTP handler of the embedded Lease API server, as a pipeline a reader can follow:
 * authenticate → route → decode the body → serve (admission, validation and storage for leases,
 * a fixed document otherwise) → encode the answer; any step may refuse with a Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../time/clock.js';
import { decodeBody, mediaTypeOf, readBody } from './decoding.js';
import * as discovery from './discovery.js';
import { HttpError, send } from './encoding.js';
import { leaseEndpoints } from './leaseEndpoints.js';
import { openApiV2 } from './openapi.js';
import { encodeOpenApiV2 } from './openapiProtobuf.js';
import type { LeaseObjects } from './leaseObjects.js';
import { type Route, route, verbOf } from './routing.js';
import * as status from './status.js';

export interface HandlerContext {
  objects: LeaseObjects;
  clock: Clock;
  token: string | undefined;
  bookmarkInterval: number;
  /** Called once per request with the verb, the status code and the request, for tests and metrics. */
  onRequest?: (verb: string, code: number, request: IncomingMessage) => void;
}

const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
let openApiV2Protobuf: Uint8Array | undefined;

/** kubectl 1.20 asks for gnostic protobuf; everyone else gets JSON. */
function sendOpenApiV2(request: IncomingMessage, response: ServerResponse): void {
  if (!(request.headers.accept ?? '').includes(OPENAPI_V2_PROTOBUF)) return send(response, 200, openApiV2);
  openApiV2Protobuf ??= encodeOpenApiV2(openApiV2);
  // Go's mime parser refuses the '@' of the requested type, so the bytes go out as octet-stream.
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': openApiV2Protobuf.byteLength });
  response.end(openApiV2Protobuf);
}

export function createHandler(context: HandlerContext) {
  const leases = leaseEndpoints(context);

  function authenticate(request: IncomingMessage): void {
    if (context.token !== undefined && request.headers.authorization !== `Bearer ${context.token}`) {
      throw new HttpError(status.unauthorized());
    }
  }

  function serve(request: IncomingMessage, response: ServerResponse, target: Route, params: URLSearchParams, body: unknown): void {
    switch (target.kind) {
      case 'document':
        return send(response, 200, target.body);
      case 'openapiV2':
        return sendOpenApiV2(request, response);
      case 'health':
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
        return;
      case 'namespaces':
        return send(response, 200, discovery.namespaceList(context.objects.namespaces()));
      case 'namespace':
        return send(response, 200, discovery.namespace(target.name));
      case 'leases':
        return leases.collection(request, response, target.namespace, params, body);
      case 'lease':
        return leases.item(request, response, target.namespace, target.name, params, body);
      case 'unknown':
        throw new HttpError(status.resourceNotFound());
    }
  }

  async function decode(request: IncomingMessage): Promise<unknown> {
    if (request.method === 'GET' || request.method === 'HEAD') return undefined;
    return decodeBody(await readBody(request), request.method ?? '', mediaTypeOf(request));
  }

  function answerFailure(response: ServerResponse, error: unknown): void {
    const failure = error instanceof HttpError ? error.status : status.failure(500, 'InternalError', `an error on the server: ${String(error)}`);
    // A body over the limit is not read to its end: close the connection rather than drain it.
    if (failure.code === 413 && !response.headersSent) response.setHeader('connection', 'close');
    if (!response.headersSent) send(response, failure.code, failure);
    else response.end();
  }

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      authenticate(request);
      const url = new URL(request.url ?? '/', 'http://leasehold');
      const target = route(request.method ?? 'GET', url, request.headers.host ?? '127.0.0.1');
      const body = await decode(request);
      serve(request, response, target, url.searchParams, body);
    } catch (error) {
      answerFailure(response, error);
    } finally {
      context.onRequest?.(verbOf(request), response.statusCode, request);
    }
  };
}
