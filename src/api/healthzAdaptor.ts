import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LeadershipError } from '../lease/errors.js';
import { numberRule, validate } from '../lease/validation.js';

/** What a HealthzAdaptor checks: a LeaderElector (or anything with client-go's Check). */
export interface HealthCheckable {
  check(maxTolerableExpiredLease: number): LeadershipError | null;
}

/** What `new HealthzAdaptor(...)` takes. */
export interface HealthzAdaptorOptions {
  /** How far past the lease's expiry a stuck leader is tolerated; default 20 s (client-go's typical value). */
  timeout?: number;
}

/**
 * client-go's HealthzAdaptor: a health check that fails when this process leads but has not
 * renewed for leaseDuration + timeout (the renewal is stuck). Usable as a plain HTTP handler.
 */
export class HealthzAdaptor {
  readonly timeout: number;
  private elector: HealthCheckable | null = null;

  constructor({ timeout = 20_000 }: HealthzAdaptorOptions = {}) {
    this.timeout = validate({ timeout }, [numberRule('timeout', (ms) => ms >= 0, 'timeout must be a finite number of milliseconds >= 0')]).timeout;
  }

  /** The check's name, as client-go's adaptor reports it. */
  name(): string {
    return 'leaderElection';
  }

  /** Called by LeaderElector when given this adaptor as `watchdog`. */
  setLeaderElection(elector: HealthCheckable): void {
    this.elector = elector;
  }

  /** null when healthy (or not yet wired to an elector), the error otherwise. */
  check(): LeadershipError | null {
    return this.elector?.check(this.timeout) ?? null;
  }

  /** `http.createServer(adaptor.handler)` or a route in an existing server. */
  readonly handler = (_request: IncomingMessage, response: ServerResponse): void => {
    const error = this.check();
    response.writeHead(error ? 500 : 200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(error ? `internal server error: ${error.message}\n` : 'ok\n');
  };
}
