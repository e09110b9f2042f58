/**
 * client-go's HealthzAdaptor: a health check that fails when this process leads but has not
 * renewed for leaseDuration + timeout (the renewal is stuck). Usable as a plain HTTP handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Checkable {
  check(maxTolerableExpiredLease: number): Error | null;
}

export class HealthzAdaptor {
  private elector: Checkable | null = null;

  /** @param timeout how far past the lease's expiry a stuck leader is tolerated (typically 20 s). */
  constructor(readonly timeout: number) {}

  name(): string {
    return 'leaderElection';
  }

  setLeaderElection(elector: Checkable): void {
    this.elector = elector;
  }

  /** null when healthy (or not yet wired to an elector), the error otherwise. */
  check(): Error | null {
    return this.elector?.check(this.timeout) ?? null;
  }

  /** `http.createServer(adaptor.handler)` or a route in an existing server. */
  readonly handler = (_request: IncomingMessage, response: ServerResponse): void => {
    const error = this.check();
    response.writeHead(error ? 500 : 200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(error ? `internal server error: ${error.message}\n` : 'ok\n');
  };
}
