/**
 * The verbs on one served resource, by method: list and watch, get (reads.ts); create, update,
 * patch and server-side apply, delete and deletecollection (writes.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../time/clock.js';
import type { ServerFeatures } from './admission.js';
import { HttpError } from './encoding.js';
import type { JsonFacts } from './jsonFacts.js';
import { listOptions } from './listOptions.js';
import type { ObjectStore } from './objectStore.js';
import { reads } from './reads.js';
import type { ServedResource } from './resources.js';
import * as status from './status.js';
import type { WatchSettings } from './watch.js';
import { writes } from './writes.js';

export interface EndpointContext {
  objects: ObjectStore;
  clock: Clock;
  watch: WatchSettings;
  features: ServerFeatures;
}

/** What a request is answered with, once the changes it saw are durable; undefined when it streams (a watch). */
export interface Answer {
  code: number;
  body: unknown;
  /** Warning headers (unknown and duplicate fields), in order. */
  warnings?: string[];
  /** Default application/json. */
  contentType?: string;
}

/** One request on a resource: a namespace's collection (or every namespace's), or one named object. */
export interface ResourceCall {
  request: IncomingMessage;
  response: ServerResponse;
  params: URLSearchParams;
  body: unknown;
  /** What the JSON body's text says beyond its value (duplicate keys, number literals). */
  facts: JsonFacts;
  namespace: string | undefined;
  /** Set for the deprecated /watch/ paths: the request is a watch whatever its query says. */
  watch?: boolean;
}

export function resourceEndpoints(context: EndpointContext, served: ServedResource) {
  const read = reads(context, served);
  const write = writes(context, served);

  return {
    /** GET, POST and DELETE on a namespace's objects (or every namespace's, for GET). */
    collection(call: ResourceCall): Answer | undefined {
      const { request, namespace } = call;
      switch (request.method) {
        case 'GET': {
          const options = listOptions(call.params, call.watch ?? false);
          return options.watch ? read.watch(call, options) : read.list(call, options);
        }
        case 'POST':
          if (namespace === undefined) throw new HttpError(status.methodNotAllowed());
          return write.create(call, namespace);
        case 'DELETE':
          if (namespace === undefined) throw new HttpError(status.methodNotAllowed());
          return write.removeCollection(call, namespace);
        default:
          throw new HttpError(status.methodNotAllowed());
      }
    },

    /** GET, PUT, PATCH and DELETE on one object. */
    item(call: ResourceCall, namespace: string, name: string): Answer | undefined {
      const current = context.objects.get(served.stored, namespace, name);
      switch (call.request.method) {
        case 'GET':
          return read.get(call, current, name);
        case 'PUT':
          return write.update(call, current, namespace, name);
        case 'PATCH':
          return write.patch(call, current, namespace, name);
        case 'DELETE':
          return write.remove(call, current, name);
        default:
          throw new HttpError(status.methodNotAllowed());
      }
    },
  };
}
