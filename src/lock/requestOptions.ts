/**
 * Per-call options for @kubernetes/client-node's object-parameter API that make the request
 * abortable by `signal`. Its middleware takes client-node's own minimal observables: anything with
 * toPromise().
 */
const resolved = <T>(value: T) => ({ toPromise: () => Promise.resolve(value) });

export function abortableBy(signal: AbortSignal | undefined): object {
  return {
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
