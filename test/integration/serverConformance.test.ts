/**
 * Server conformance from the recorded traces: every request real clients sent (kubectl 1.20 and
 * 1.33, client-node 1.4 and 2.0, the Python client, an npm elector) is replayed in order against a
 * fresh server and must get the status and body shape kube-apiserver gives. A watch is read to its
 * end (one or two seconds of the server's clock) and must carry exactly the events listed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { VirtualClock } from '../../src/time/virtualClock.js';
import { readTrace, replay, replaySession } from '../support/traces.js';

/** Per request: HTTP status, then the body's kind or Status reason, or the watch event types. */
type Expected = [number, string] | [number, 'watch', string[]];

const clientNode: Expected[] = [
  [404, 'NotFound'],
  [201, 'Lease'],
  [409, 'AlreadyExists'],
  [200, 'Lease'],
  [400, 'BadRequest'], // renewTime with three fractional digits
  [200, 'Lease'],
  [409, 'Conflict'], // stale resourceVersion
  [422, 'Invalid'], // no resourceVersion
  [422, 'Invalid'], // Bad_Name, leaseDurationSeconds 0
  [200, 'Lease'], // JSON patch
  [200, 'Lease'], // merge patch
  [200, 'LeaseList'],
  [200, 'watch', []], // from the list's resourceVersion: nothing new yet (no BOOKMARK at once, as kube-apiserver: test/conformance)
  [200, 'LeaseList'],
  [200, 'watch', []],
  [200, 'Lease'],
  [200, 'Lease'],
  [200, 'Success'],
  [404, 'NotFound'],
  [200, 'watch', ['ERROR']], // resourceVersion 5: too old, 410 Expired
];

const EXPECTED: Record<string, Expected[]> = {
  'client-node-1.4.0.jsonl': clientNode,
  'client-node-2.0.1.jsonl': clientNode,
  'kubectl-1.20.2.jsonl': [
    // OpenAPI v2 as gnostic protobuf; the fallback kubectl tried when it was missing stays missing
    // (a path no group serves: kube-apiserver's plain-text 404).
    [200, 'protobuf'], [404, 'text'], [200, 'protobuf'], [404, 'text'],
    [200, 'APIVersions'], [200, 'APIGroupList'], [200, 'APIResourceList'], [200, 'APIResourceList'],
    [404, 'NotFound'], [200, 'Namespace'], [201, 'Lease'], [200, 'Table'], [200, 'Lease'],
    [200, 'protobuf'], [404, 'text'], [200, 'Lease'], [200, 'Lease'], [200, 'Lease'],
    [404, 'NotFound'], [200, 'Namespace'], [200, 'Success'], [200, 'LeaseList'],
  ],
  'kubectl-1.33.1-get-apply-delete.jsonl': [
    // Aggregated discovery as asked; the OpenAPI v3 index as text/plain, as kube-apiserver serves it.
    [200, 'APIGroupDiscoveryList'], [200, 'APIGroupDiscoveryList'], [200, 'APIResourceList'], [200, 'APIResourceList'], [200, 'Table'],
    [200, 'text'], [404, 'text'], [200, 'protobuf'], [200, 'Table'], [404, 'NotFound'], [200, 'Namespace'],
    [200, 'text'], [404, 'text'], [200, 'protobuf'], [200, 'text'], [404, 'text'], [200, 'protobuf'],
    [404, 'NotFound'], [200, 'Namespace'], [404, 'NotFound'], [200, 'Namespace'],
  ],
  'kubectl-1.33.1-watch.jsonl': [[200, 'Version'], [200, 'Table'], [200, 'Version']],
  'npm-kubernetes-leader-election-1.0.1.jsonl': [
    [200, 'watch', []], [404, 'NotFound'], [201, 'Lease'], [200, 'watch', ['ADDED']],
    ...Array.from({ length: 12 }, (): Expected => [200, 'Lease']), // its GET-then-PUT renewals
  ],
  'python-kubernetes-22.6-watch.jsonl': [
    [201, 'Lease'], [200, 'LeaseList'], [200, 'watch', []], [200, 'Lease'], [200, 'Lease'], [200, 'Success'], [200, 'LeaseList'], [200, 'LeaseList'],
  ],
  'python-kubernetes-22.6.jsonl': [
    [201, 'Lease'], [400, 'BadRequest'], [404, 'NotFound'], [200, 'Lease'], [200, 'Lease'], [409, 'Conflict'], [200, 'Lease'],
  ],
};

function describeBody(body: unknown): string {
  const b = body as { kind?: string; reason?: string; status?: string; gitVersion?: string; openapi?: string; paths?: unknown } | undefined;
  if (b?.kind === 'Status') return b.status === 'Success' ? 'Success' : String(b.reason);
  if (b?.kind) return b.kind;
  if (b?.gitVersion) return 'Version';
  if (b?.paths) return 'OpenAPI';
  if (typeof (body as { bytes?: unknown } | undefined)?.bytes === 'number') return (body as { text?: boolean }).text ? 'text' : 'protobuf';
  return JSON.stringify(body);
}

describe('embedded server: recorded client traces', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`answers every request of ${file} as kube-apiserver does`, async () => {
      // The traces carry the resourceVersions of the server they were recorded on, which started at
      // 1001; resourceVersions start at the clock in microseconds, so a clock at the epoch starts there.
      const clock = new VirtualClock(0);
      server = await startLeaseApiServer({ clock });
      const requests = readTrace(file);
      const session = replaySession();
      expect(requests).toHaveLength(expected.length);
      let lastWriteVersion = 0;
      for (const [index, request] of requests.entries()) {
        const [status, what, events] = expected[index]!;
        const where = `${file} #${index + 1}: ${request.method} ${request.url}`;
        const answer = await replay(server.url, request, { session, endWatch: (seconds) => clock.advance(seconds * 1000) });
        expect(answer.status, where).toBe(status);
        if (what === 'watch') {
          expect(answer.events!.map((e) => e.type), where).toEqual(events);
          for (const event of answer.events!.filter((e) => e.type === 'ERROR')) {
            expect(event.object, where).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
            expect(String(event.object.message), where).toMatch(/^too old resource version: 5 \(\d+\)$/);
          }
          continue;
        }
        expect(describeBody(answer.body), where).toBe(what);
        const body = answer.body as { kind?: string; apiVersion?: string; code?: number; metadata?: { resourceVersion?: string } };
        if (body.kind === 'Status' && (body as { status?: string }).status === 'Failure') {
          expect(body.apiVersion, where).toBe('v1');
          expect(body.code, where).toBe(status);
        }
        if (body.kind === 'Lease') {
          expect(body.apiVersion, where).toBe('coordination.k8s.io/v1');
          const version = Number(body.metadata?.resourceVersion);
          if (request.method !== 'GET') {
            expect(version, `${where}: resourceVersions strictly increase`).toBeGreaterThan(lastWriteVersion);
            lastWriteVersion = version;
          }
        }
      }
    });
  }
});
