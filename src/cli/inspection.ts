/**
 * `--inspect ws://HOST:PORT` (its URL is checked in flags.ts): every actor the command creates
 * sends its XState inspection events to the Stately inspector through @statelyai/inspect's
 * WebSocket client (the relay forwards them to the inspector page; see visualize/inspectorRelay.ts).
 * With nothing listening, the client keeps the last 200 events and retries every 5 s, so the relay
 * may be started after the command. Loaded only when --inspect is given.
 */
import { createWebSocketInspector } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import type { Inspector } from '../runtime/options.js';

export function webSocketInspector(url: string): Inspector {
  return createWebSocketInspector({ url }).inspect;
}

/** One inspection observer feeding several (the Stately inspector and the live view). */
export function inspectAll(inspectors: ReadonlyArray<Inspector | undefined>): Inspector | undefined {
  const present = inspectors.filter((inspector): inspector is Inspector => inspector !== undefined);
  if (present.length <= 1) return present[0];
  return (event: InspectionEvent) => {
    for (const inspector of present) {
      if (typeof inspector === 'function') inspector(event);
      else inspector.next?.(event);
    }
  };
}
