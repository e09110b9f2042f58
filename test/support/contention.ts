/**
 * Contention on one lease: `writers` clients each land `updates` conditional updates (re-reading on
 * 409), while a watcher records every change. Returns what a lost-update check needs.
 */
import { type LeaseApiServer, type LeaseApiServerOptions, startLeaseApiServer } from '../../src/server/index.js';

const PATH = '/apis/coordination.k8s.io/v1/namespaces/default/leases';

export interface ContentionResult {
  acknowledged: { token: string; resourceVersion: number }[];
  watched: { token: string; resourceVersion: number }[];
  conflicts: number;
  seconds: number;
}

interface LeaseJson {
  metadata: { resourceVersion: string };
  spec: Record<string, unknown>;
}

/** What stands between the clients and the server (a planted fault: contentionFaults.ts); none by default. */
export type Front = (serverUrl: string) => Promise<{ url: string; close(): Promise<void> }>;

export async function runContention(writers: number, updates: number, options: LeaseApiServerOptions = {}, front?: Front): Promise<ContentionResult> {
  const embedded = await startLeaseApiServer({ historyLimit: writers * updates + 10, ...options });
  const between = front ? await front(embedded.url) : undefined;
  const server: Pick<LeaseApiServer, 'url' | 'close'> = {
    url: between?.url ?? embedded.url,
    close: async () => {
      await between?.close();
      await embedded.close();
    },
  };
  const json = { 'content-type': 'application/json' };
  const created = (await (
    await fetch(`${server.url}${PATH}`, { method: 'POST', headers: json, body: JSON.stringify({ metadata: { name: 'hot' }, spec: { holderIdentity: 'init' } }) })
  ).json()) as LeaseJson;
  const started = performance.now();

  const watched: ContentionResult['watched'] = [];
  const controller = new AbortController();
  const stream = await fetch(`${server.url}${PATH}?watch=true&resourceVersion=${created.metadata.resourceVersion}&fieldSelector=metadata.name%3Dhot`, {
    signal: controller.signal,
  });
  // The watch runs until it has delivered the lease's last version (read once the writers are done),
  // not until it has seen as many changes as were acknowledged: a lost write must not hang it.
  let lastVersion: number | undefined;
  const watching = (async () => {
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line) as { type: string; object: { metadata: { resourceVersion: string }; spec: { holderIdentity: string } } };
        if (event.type === 'MODIFIED') watched.push({ token: event.object.spec.holderIdentity, resourceVersion: Number(event.object.metadata.resourceVersion) });
      }
      if (lastVersion !== undefined && watched.some((w) => w.resourceVersion === lastVersion)) break;
    }
  })();

  let conflicts = 0;
  const acknowledged: ContentionResult['acknowledged'] = [];
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      let current = created;
      for (let n = 0; n < updates; ) {
        const token = `w${writer}-${n}`;
        const body = { ...current, spec: { ...current.spec, holderIdentity: token } };
        const response = await fetch(`${server.url}${PATH}/hot`, { method: 'PUT', headers: json, body: JSON.stringify(body) });
        if (response.status === 409) {
          conflicts++;
          await response.arrayBuffer();
          current = (await (await fetch(`${server.url}${PATH}/hot`)).json()) as LeaseJson;
          continue;
        }
        if (response.status !== 200) throw new Error(`writer ${writer}: unexpected ${response.status} ${await response.text()}`);
        current = (await response.json()) as LeaseJson;
        acknowledged.push({ token, resourceVersion: Number(current.metadata.resourceVersion) });
        n++;
      }
    }),
  );
  lastVersion = Number(((await (await fetch(`${server.url}${PATH}/hot`)).json()) as LeaseJson).metadata.resourceVersion);
  // Already delivered, or on its way: a watch that never delivers it is cut after 30 s (a hang guard).
  const guard = setTimeout(() => controller.abort(), 30_000);
  if (!watched.some((w) => w.resourceVersion === lastVersion)) await watching;
  clearTimeout(guard);
  controller.abort();
  await watching;
  const seconds = (performance.now() - started) / 1000;
  await server.close();
  return { acknowledged, watched, conflicts, seconds };
}

export interface LostUpdates {
  /** Acknowledged writes not in the watched history exactly once. */
  missing: number;
  /** Watched changes whose resourceVersion does not increase. */
  outOfOrder: number;
  /** Acknowledged writes whose resourceVersion differs from the one watched. */
  versionMismatch: number;
}

/** Acknowledged writes missing from, or duplicated in, the watched history; and ordering breaks. */
export function lostUpdates(result: ContentionResult): LostUpdates {
  const seen = new Map<string, number>();
  for (const w of result.watched) seen.set(w.token, (seen.get(w.token) ?? 0) + 1);
  const missing = result.acknowledged.filter((a) => seen.get(a.token) !== 1);
  const outOfOrder = result.watched.filter((w, i) => i > 0 && w.resourceVersion <= result.watched[i - 1]!.resourceVersion);
  const watchedVersion = new Map(result.watched.map((w) => [w.token, w.resourceVersion]));
  const versionMismatch = result.acknowledged.filter((a) => watchedVersion.get(a.token) !== a.resourceVersion);
  return { missing: missing.length, outOfOrder: outOfOrder.length, versionMismatch: versionMismatch.length };
}
