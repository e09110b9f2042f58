/**
 * Fault injection, one API for both memory stores: `failNext(count, { kind, match, afterApply })`
 * queues a fault for the next `count` calls that `match` picks (all calls by default); each call
 * takes the first queued fault that matches it. `afterApply` commits the call's write and then
 * fails its answer (a timeout after the server committed).
 */
import type { LeaseErrorKind } from '../lease/errors.js';

export interface InjectedFault<Call> {
  kind: LeaseErrorKind;
  /** Apply the write, then fail the response (a timeout after commit). Default false. */
  afterApply?: boolean;
  /** Only calls that match; default all. */
  match?: (call: Call) => boolean;
}

export class FaultQueue<Call> {
  private readonly faults: (InjectedFault<Call> & { remaining: number })[] = [];

  push(count: number, fault: InjectedFault<Call>): void {
    this.faults.push({ ...fault, remaining: count });
  }

  /** The fault `call` fails with, if one is queued for it (used up as it is taken). */
  take(call: Call): InjectedFault<Call> | undefined {
    const index = this.faults.findIndex((fault) => !fault.match || fault.match(call));
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    if (--fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  /** Faults queued and not yet taken. */
  get pending(): number {
    return this.faults.reduce((sum, fault) => sum + fault.remaining, 0);
  }
}
