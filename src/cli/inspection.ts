/**
 * `--inspect ws://HOST:PORT`: every actor the command creates sends its XState inspection events to
 * the Stately inspector through @statelyai/inspect's WebSocket client (the relay forwards them to
 * the inspector page; see visualize/inspectorRelay.ts). With nothing listening, the client keeps
 * the last 200 events and retries every 5 s, so the relay may be started after the command.
 */
import { createWebSocketInspector } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import { ConfigError } from '../lease/errors.js';
import type { Inspector } from '../runtime/participant.js';

export function inspectFlag(value: string | undefined, command: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || !url.hostname) {
    throw new ConfigError(`${command}: --inspect must be a WebSocket URL like ws://127.0.0.1:8080, not ${JSON.stringify(value)}`, 'inspect');
  }
  return value;
}

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
