/**
 * The HTTP handler of the embedded Lease API server, as a pipeline a reader can follow:
 * authenticate → route → decode the body → serve (admission, validation and storage for Leases and
 * Events, a review, or a fixed document) → encode the answer; any step may refuse with a Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';
import type { ServerFeatures } from './admission.js';
import type { Clock } from '../time/clock.js';
import { selfSubjectAccessReview, selfSubjectRulesReview } from './accessReview.js';
import { writeOptions } from './admission.js';
import { type DecodedBody, decodeBody, mediaTypeOf, NO_FACTS, readBody } from './decoding.js';
import * as discovery from './discovery.js';
import { flag, HttpError, send, sendText } from './encoding.js';
import type { ObjectStore } from './objectStore.js';
import { openApiV2 } from './openapi.js';
import { encodeOpenApiV2 } from './openapiProtobuf.js';
import { type Answer, resourceEndpoints } from './resourceEndpoints.js';
import { servedResources } from './resources.js';
import { MalformedPath, type Route, route, verbOf } from './routing.js';
import * as status from './status.js';
import { namespaceProblem } from '../lease/kubernetesNames.js';
import type { WatchSettings } from './watch.js';

export interface HandlerContext {
  objects: ObjectStore;
  features: ServerFeatures;
  clock: Clock;
  token: string | undefined;
  watch: WatchSettings;
  logger: Logger;
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

/** Who is asking: a client with the right token (or any, when none is required), or an anonymous one. */
type Caller = 'authenticated' | 'anonymous';

/** What anyone may read, token or not (kube-apiserver's system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

/** The verb an anonymous request was refused for, in RBAC's words. */
function anonymousRefusal(method: string, target: Route, watch: boolean): status.Status {
  if (target.kind === 'collection' || target.kind === 'item') {
    const verbs: Record<string, string> = { GET: target.kind === 'item' ? 'get' : watch || target.watch ? 'watch' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: target.kind === 'item' ? 'delete' : 'deletecollection' };
    return status.forbidden(verbs[method] ?? method.toLowerCase(), target.resource.subject, target.namespace, target.kind === 'item' ? target.name : undefined);
  }
  if (target.kind === 'accessReview' || target.kind === 'rulesReview') {
    const plural = target.kind === 'accessReview' ? 'selfsubjectaccessreviews' : 'selfsubjectrulesreviews';
    return status.forbidden('create', { group: 'authorization.k8s.io', plural }, undefined);
  }
  return status.failure(403, 'Forbidden', 'forbidden: User "system:anonymous" cannot get path', {});
}

export function createHandler(context: HandlerContext) {
  const endpoints = new Map(servedResources.map(({ resource }) => [resource, resourceEndpoints(context, resource)]));
  const timestamp = () => new Date(context.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  /** A wrong token is refused (401); no token at all makes an anonymous caller, whom authorization refuses (403). */
  function authenticate(request: IncomingMessage): Caller {
    if (context.token === undefined) return 'authenticated';
    const header = request.headers.authorization;
    if (header === `Bearer ${context.token}`) return 'authenticated';
    if (header === undefined) return 'anonymous';
    throw new HttpError(status.unauthorized());
  }

  /** The answer to send once every change the request saw is durable; undefined when it was sent already (a stream, a document in another encoding). */
  function serve(request: IncomingMessage, response: ServerResponse, target: Route, params: URLSearchParams, body: DecodedBody): Answer | undefined {
    switch (target.kind) {
      case 'document':
        return { code: 200, body: target.body, ...(target.contentType ? { contentType: target.contentType } : {}) };
      case 'openapiV2':
        sendOpenApiV2(request, response);
        return undefined;
      case 'health':
        sendText(response, 200, 'ok');
        return undefined;
      case 'namespaces':
        return { code: 200, body: discovery.namespaceList(context.objects.namespaces()) };
      case 'namespace':
        if (namespaceProblem(target.name)) throw new HttpError(status.notFound(target.name, status.NAMESPACES));
        return { code: 200, body: discovery.namespace(target.name) };
      case 'accessReview': {
        const { manager } = writeOptions(request, params, 'CreateOptions');
        const review = selfSubjectAccessReview({ body: body.value, facts: body.facts, manager, time: timestamp() });
        return { code: 201, body: review.body, warnings: review.warnings };
      }
      case 'rulesReview':
        return { code: 201, body: selfSubjectRulesReview(body.value) };
      case 'collection': {
        // A deprecated watch path of one object is a watch of its name.
        if (target.watch?.name !== undefined) params.set('fieldSelector', [params.get('fieldSelector'), `metadata.name=${target.watch.name}`].filter(Boolean).join(','));
        const call = { request, response, params, body: body.value, facts: body.facts, namespace: target.namespace, ...(target.watch ? { watch: true } : {}) };
        return endpoints.get(target.resource)!.collection(call);
      }
      case 'item':
        return endpoints.get(target.resource)!.item({ request, response, params, body: body.value, facts: body.facts, namespace: target.namespace }, target.namespace, target.name);
      case 'unknown':
        throw new HttpError(status.resourceNotFound());
      case 'unrouted':
        sendText(response, 404, '404 page not found\n');
        return undefined;
    }
  }

  async function decode(request: IncomingMessage): Promise<DecodedBody> {
    if (request.method === 'GET' || request.method === 'HEAD') return { value: undefined, facts: NO_FACTS };
    return decodeBody(await readBody(request), request.method ?? '', mediaTypeOf(request));
  }

  function answerFailure(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    if (error instanceof MalformedPath) {
      if (!response.headersSent) sendText(response, 400, '400 Bad Request', true);
      return;
    }
    // A body that nests deep enough to exhaust the stack somewhere is the client's mistake, not the server's.
    const tooDeep = error instanceof RangeError && /call stack/.test(error.message);
    const failure = error instanceof HttpError ? error.status : tooDeep ? status.badRequest('the body of the request nests too deeply') : status.failure(500, 'InternalError', `an error on the server: ${String(error)}`);
    if (!(error instanceof HttpError) && !tooDeep) context.logger.error('request failed', { method: request.method, url: request.url, error });
    // A body over the limit is not read to its end: close the connection rather than drain it.
    if (failure.code === 413 && !response.headersSent) response.setHeader('connection', 'close');
    if (!response.headersSent) send(response, failure.code, failure);
    else response.end();
  }

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const caller = authenticate(request);
      const url = new URL(request.url ?? '/', 'http://leasehold');
      const target = route(request.method ?? 'GET', url, request.headers.host ?? '127.0.0.1', request.headers.accept);
      if (caller === 'anonymous' && !(request.method === 'GET' && PUBLIC_PATHS.has(url.pathname))) throw new HttpError(anonymousRefusal(request.method ?? 'GET', target, flag(url.searchParams, 'watch')));
      const body = await decode(request);
      const answer = serve(request, response, target, url.searchParams, body);
      if (answer) {
        await context.objects.settled();
        send(response, answer.code, answer.body, { ...(answer.warnings ? { warnings: answer.warnings } : {}), ...(answer.contentType ? { contentType: answer.contentType } : {}) });
      }
    } catch (error) {
      answerFailure(request, response, error);
    } finally {
      context.onRequest?.(verbOf(request), response.statusCode, request);
      context.logger.debug('request', { method: request.method, url: request.url, code: response.statusCode });
    }
  };
}
