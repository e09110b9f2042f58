/**
 * The embedded server under hostile input, over raw HTTP: kube-apiserver's limits (3 MiB bodies,
 * nesting depth, media types, percent-encoding, names, label values, real MicroTimes), timestamps
 * written back in UTC, and slow watchers cut off while healthy ones keep up.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';
import { readEvents } from '../support/traces.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';

describe('embedded server: limits', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  async function start(options = {}) {
    server = await startLeaseApiServer(options);
    const call = async (method: string, path: string, body?: string, type = 'application/json') => {
      const response = await fetch(server!.url + path, { method, headers: { 'content-type': type }, body });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
    };
    const create = (object: unknown, path = LEASES) => call('POST', path, JSON.stringify(object));
    return { call, create };
  }

  it('refuses a body over 3 MiB with 413 and stores nothing', async () => {
    const { call, create } = await start();
    const huge = JSON.stringify({ metadata: { name: 'huge', annotations: { a: 'x'.repeat(50 * 1024 * 1024) } }, spec: {} });
    const answer = await call('POST', LEASES, huge);
    expect(answer).toMatchObject({ status: 413, body: { reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728' } });
    expect((await call('GET', `${LEASES}/huge`)).status).toBe(404);
    expect((await create({ metadata: { name: 'after' } })).status).toBe(201); // the server is fine
  });

  it('refuses deep nesting with 400 before storing, and the namespace stays readable', async () => {
    const { call, create } = await start();
    const deep = `{"metadata":{"name":"deep"},"spec":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    expect((await call('POST', LEASES, deep)).body).toMatchObject({ code: 400, message: expect.stringContaining('nests deeper than 10000') }); // Go's limit
    const deepYaml = `${'a:\n'.repeat(1)}${Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i)}k:`).join('\n')} 1\n`;
    expect((await call('PATCH', `${LEASES}/deep?fieldManager=x`, deepYaml, 'application/apply-patch+yaml')).status).toBe(400);
    await create({ metadata: { name: 'fine' } });
    expect((await call('GET', LEASES)).status).toBe(200);
    expect((await call('DELETE', `${LEASES}/fine`)).status).toBe(200);
  });

  it('415 for unsupported media types, 400 for malformed percent-encoding and undecodable JSON', async () => {
    const { call } = await start();
    expect((await call('POST', LEASES, '{"metadata":{"name":"t"}}', 'text/plain')).body).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    expect((await call('PUT', `${LEASES}/t`, '{}', 'application/xml')).status).toBe(415);
    // Go's HTTP server refuses a path it cannot unescape before any handler: a plain-text 400.
    for (const path of [`${LEASES}/%E0%A4%A`, '/apis/coordination.k8s.io/v1/namespaces/%ZZ/leases']) {
      const malformed = await fetch(server!.url + path);
      expect([malformed.status, malformed.headers.get('content-type'), await malformed.text()]).toEqual([400, 'text/plain; charset=utf-8', '400 Bad Request']);
    }
    expect((await call('POST', LEASES, '{"metadata":')).status).toBe(400);
    expect((await call('GET', `${LEASES}/t`)).status).toBe(404);
  });

  it('validates namespaces (DNS-1123 labels), label keys and values, and refuses impossible MicroTimes', async () => {
    const { call, create } = await start();
    // A namespace that cannot exist: namespace lifecycle admission's 404, as kube-apiserver's.
    const badNamespace = await create({ metadata: { name: 'n' } }, '/apis/coordination.k8s.io/v1/namespaces/Bad_NS/leases');
    expect(badNamespace).toMatchObject({ status: 404, body: { reason: 'NotFound', details: { name: 'Bad_NS', kind: 'namespaces' } } });
    expect((await call('GET', '/api/v1/namespaces/Bad_NS')).status).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/team-a')).status).toBe(200);
    const badLabel = await create({ metadata: { name: 'l', labels: { app: 'no spaces allowed', 'bad key!': 'x', long: 'v'.repeat(64) } } });
    expect(badLabel.status).toBe(422);
    expect((badLabel.body!.details as { causes: unknown[] }).causes).toHaveLength(3);
    expect((await create({ metadata: { name: 'l', labels: { app: 7 } } })).status).toBe(400);
    for (const renewTime of ['2024-13-45T99:99:99.000000Z', '2024-02-30T10:00:00.000000Z', '2024-01-01T10:00:00.000000+25:00']) {
      expect((await create({ metadata: { name: 'm' }, spec: { renewTime } })).status, renewTime).toBe(400);
    }
    expect((await call('GET', `${LEASES}/m`)).status).toBe(404);
  });

  it('writes timestamps back in UTC', async () => {
    const { create } = await start();
    const created = await create({ metadata: { name: 'z' }, spec: { acquireTime: '2026-11-24T10:00:00.123456+01:00', renewTime: '2026-11-24T03:30:00.000001-05:30' } });
    expect(created.body!.spec).toMatchObject({ acquireTime: '2026-11-24T09:00:00.123456Z', renewTime: '2026-11-24T09:00:00.000001Z' });
  });

  it('closes a watcher that stopped reading, keeps serving one that reads, and stays bounded', async () => {
    const { call, create } = await start({ maxWatchBacklogBytes: 256 * 1024 });
    await create({ metadata: { name: 'busy' } });
    const stalled = connect(server!.port, '127.0.0.1');
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.write(`GET ${LEASES}?watch=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    stalled.pause(); // reads nothing from here on: the kernel's buffers fill, then the server's
    let stalledBytes = 0;
    stalled.on('data', (chunk: Buffer) => (stalledBytes += chunk.length));
    stalled.pause();
    const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    stalled.on('error', () => {});
    const healthy = await fetch(`${server!.url}${LEASES}?watch=1&fieldSelector=metadata.name%3Dbusy`);
    const updates = 200;
    const received = readEvents(healthy, updates + 1, 60_000);
    const annotation = 'x'.repeat(100 * 1024);
    for (let i = 0; i < updates; i++) {
      const patched = await call('PATCH', `${LEASES}/busy`, JSON.stringify({ metadata: { annotations: { big: `${i}${annotation}` } } }), 'application/merge-patch+json');
      expect(patched.status).toBe(200);
    }
    expect((await received).length).toBe(updates + 1); // ADDED and every change
    stalled.resume(); // read what the kernel kept: the stream then ends, cut off long before the last change
    await closed;
    expect(stalledBytes).toBeLessThan((updates * annotation.length) / 2);
  }, 120_000);
});
