/**
 * Per-call options for @kubernetes/client-node's object-parameter API: the request is sent through
 * undici's request API (undiciHttpLibrary.ts) and abortable by `signal`. Its middleware takes
 * client-node's own minimal observables: anything with toPromise().
 */
import { undiciHttpLibrary } from './undiciHttpLibrary.js';

const resolved = <T>(value: T) => ({ toPromise: () => Promise.resolve(value) });

export function requestOptions(signal: AbortSignal | undefined): object {
  return {
    httpApi: undiciHttpLibrary,
    middleware: [
      {
        pre: (request: { setSignal(signal: AbortSignal): void }) => {
          if (signal) request.setSignal(signal);
          return resolved(request);
        },
        post: <R>(response: R) => resolved(response),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
