/**
 * client-go's generated clients send built-in kinds as protobuf: every client-go leader election
 * creates, renews and releases its Lease with `Content-Type: application/vnd.kubernetes.protobuf`.
 * The bodies here were recorded from the client-go v0.37.2 elector (test/peers/client-go) against
 * the embedded server; the server must read them as kube-apiserver does. (The live client-go runs
 * are test/peers/mixedFleet.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf } from '../../src/server/protobufBodies.js';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';

interface Recorded {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

const TRACE = join(import.meta.dirname, '../fixtures/client-traces/client-go-0.37.2-leaderelection-protobuf.jsonl');
const recorded: Recorded[] = readFileSync(TRACE, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Recorded);
const bytes = (request: Recorded) => Buffer.from(request.body, 'base64');
const [create, renew, , , release] = recorded;

describe('protobuf Lease bodies from client-go', () => {
  it('create: holder, duration, transitions 0, MicroTimes with 6 digits, the labels of NewWithLabels', () => {
    expect(create!.contentType).toBe('application/vnd.kubernetes.protobuf');
    expect(decodeKubernetesProtobuf(bytes(create!))).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'recorded', namespace: 'default', labels: { app: 'recorded' } },
      spec: {
        holderIdentity: 'client-go-1',
        leaseDurationSeconds: 2,
        leaseTransitions: 0,
        acquireTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        renewTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      },
    });
  });

  it('renew: the object as read back (uid, resourceVersion, creationTimestamp in seconds, managedFields as JSON)', () => {
    const lease = decodeKubernetesProtobuf(bytes(renew!)) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    expect(lease.metadata).toMatchObject({
      name: 'recorded',
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      resourceVersion: expect.stringMatching(/^\d+$/),
      creationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      managedFields: [{ manager: 'client-go-elector', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': expect.objectContaining({ 'f:holderIdentity': {} }) } }],
    });
    expect(lease.spec.holderIdentity).toBe('client-go-1');
  });

  it('release: holderIdentity "" is kept (a pointer to "" on the wire), leaseDurationSeconds 1, transitions kept', () => {
    const lease = decodeKubernetesProtobuf(bytes(release!)) as { spec: Record<string, unknown> };
    expect(lease.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
  });

  it('a body that is not the protobuf envelope, or of a kind not decoded, is left to the other decoders', () => {
    expect(decodeKubernetesProtobuf(Buffer.from('{"kind":"Lease"}'))).toBeUndefined();
    const envelope = bytes(create!);
    const otherKind = Buffer.from(envelope.toString('binary').replace('\x12\x05Lease', '\x12\x05Lesse'), 'binary');
    expect(decodeKubernetesProtobuf(otherKind)).toBeUndefined();
  });

  describe('over HTTP', () => {
    let server: LeaseApiServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('the embedded server stores a protobuf create and answers in JSON', async () => {
      server = await startLeaseApiServer();
      const url = create!.url.replace(/\?.*$/, '');
      const created = await fetch(server.url + url, {
        method: 'POST',
        headers: { 'content-type': create!.contentType, accept: 'application/vnd.kubernetes.protobuf,application/json' },
        body: bytes(create!),
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('content-type')).toContain('application/json');
      const stored = (await (await fetch(`${server.url}${url}/recorded`)).json()) as { metadata: { labels: object }; spec: object };
      expect(stored.metadata.labels).toEqual({ app: 'recorded' });
      expect(stored.spec).toMatchObject({ holderIdentity: 'client-go-1', leaseDurationSeconds: 2, leaseTransitions: 0 });
    });
  });
});
