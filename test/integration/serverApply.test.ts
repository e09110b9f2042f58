/**
 * Server-side apply of Leases over raw HTTP: create through apply, managedFields per manager,
 * 409 naming the field and its manager, force to take it, fields dropped from a configuration
 * removed, and ordinary writes recorded as Update managers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LeaseApiServer, startLeaseApiServer } from '../../src/server/index.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const configuration = (spec: Record<string, unknown>, labels?: Record<string, string>) =>
  `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: applied\n${labels ? `  labels: ${JSON.stringify(labels)}\n` : ''}spec: ${JSON.stringify(spec)}\n`;

interface Entry {
  manager: string;
  operation: string;
  fieldsV1: Record<string, unknown>;
}

describe('embedded server: server-side apply', () => {
  let server: LeaseApiServer | undefined;
  afterEach(async () => server?.close());

  async function start() {
    server = await startLeaseApiServer();
    const call = async (method: string, path: string, body: string | undefined, type = 'application/json', agent = 'test-client/1.0') => {
      const response = await fetch(server!.url + path, { method, headers: { 'content-type': type, 'user-agent': agent }, body });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const apply = (yaml: string, query: string) => call('PATCH', `${LEASES}/applied?${query}`, yaml, 'application/apply-patch+yaml');
    const stored = async () => (await call('GET', `${LEASES}/applied`, undefined)).body;
    const managers = async () => ((await stored()).metadata.managedFields as Entry[]).map((e) => [e.manager, e.operation, e.fieldsV1]);
    return { call, apply, stored, managers };
  }

  it('creates through apply (201) and records the applier as the Apply manager of exactly its fields', async () => {
    const { apply, managers } = await start();
    const created = await apply(configuration({ holderIdentity: 'a', leaseDurationSeconds: 15 }, { app: 'x' }), 'fieldManager=alice');
    expect(created.status).toBe(201);
    expect(created.body.spec).toEqual({ holderIdentity: 'a', leaseDurationSeconds: 15 });
    expect(await managers()).toEqual([
      ['alice', 'Apply', { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:holderIdentity': {}, 'f:leaseDurationSeconds': {} } }],
    ]);
  });

  it('refuses to change a field another manager owns (409 naming both), shares a field applied with the same value, takes it with force=true', async () => {
    const { apply, stored, managers } = await start();
    await apply(configuration({ holderIdentity: 'a', leaseDurationSeconds: 15 }), 'fieldManager=alice');
    const before = await stored();

    const refused = await apply(configuration({ holderIdentity: 'b' }), 'fieldManager=bob');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      // An applier is named alone; an Update owner with its version (as kube-apiserver: test/conformance).
      message: 'Apply failed with 1 conflict: conflict with "alice": .spec.holderIdentity',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.holderIdentity' }] },
    });
    expect(await stored()).toEqual(before);

    const twoFields = await apply(configuration({ holderIdentity: 'b', leaseDurationSeconds: 30 }), 'fieldManager=bob');
    expect(twoFields.body.message).toBe('Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.holderIdentity\n- .spec.leaseDurationSeconds');

    expect((await apply(configuration({ leaseDurationSeconds: 15 }), 'fieldManager=carol')).status).toBe(200); // same value: co-owned
    const forced = await apply(configuration({ holderIdentity: 'b' }), 'fieldManager=bob&force=true');
    expect(forced.status).toBe(200);
    expect(forced.body.spec).toEqual({ holderIdentity: 'b', leaseDurationSeconds: 15 });
    // Sorted as kube-apiserver sorts them: carol changed nothing, so her entry has no time and comes first.
    expect(await managers()).toEqual([
      ['carol', 'Apply', { 'f:spec': { 'f:leaseDurationSeconds': {} } }],
      ['alice', 'Apply', { 'f:spec': { 'f:leaseDurationSeconds': {} } }],
      ['bob', 'Apply', { 'f:spec': { 'f:holderIdentity': {} } }],
    ]);
  });

  it('removes a field its applier dropped, unless another manager still owns it', async () => {
    const { apply, stored } = await start();
    await apply(configuration({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 2 }), 'fieldManager=alice');
    await apply(configuration({ leaseTransitions: 2 }), 'fieldManager=bob');
    await apply(configuration({ holderIdentity: 'a' }), 'fieldManager=alice');
    expect((await stored()).spec).toEqual({ holderIdentity: 'a', leaseTransitions: 2 });
  });

  it('records ordinary writes as Update managers (fieldManager, else the User-Agent), which an apply then conflicts with', async () => {
    const { call, apply, managers } = await start();
    await call('POST', LEASES, JSON.stringify({ metadata: { name: 'applied' }, spec: { holderIdentity: 'a' } }), 'application/json', 'leasehold-participant/0.1');
    await call('PATCH', `${LEASES}/applied?fieldManager=operator`, JSON.stringify({ spec: { leaseDurationSeconds: 9 } }), 'application/merge-patch+json');
    expect(await managers()).toEqual([
      ['leasehold-participant', 'Update', { 'f:spec': { 'f:holderIdentity': {} } }],
      ['operator', 'Update', { 'f:spec': { 'f:leaseDurationSeconds': {} } }],
    ]);
    const refused = await apply(configuration({ holderIdentity: 'intruder' }), 'fieldManager=kubectl');
    expect(refused.body.message).toBe('Apply failed with 1 conflict: conflict with "leasehold-participant" using coordination.k8s.io/v1: .spec.holderIdentity');
  });

  it('dry-runs an apply, refuses an apply without fieldManager, force on other patches, and a body that is not a Lease', async () => {
    const { call, apply } = await start();
    expect((await apply(configuration({ holderIdentity: 'a' }), 'fieldManager=alice&dryRun=All')).status).toBe(201);
    expect((await call('GET', `${LEASES}/applied`, undefined)).status).toBe(404);
    expect((await apply(configuration({ holderIdentity: 'a' }), '')).body).toMatchObject({ code: 422, message: expect.stringContaining('fieldManager: Required value') });
    await apply(configuration({ holderIdentity: 'a' }), 'fieldManager=alice');
    expect((await call('PATCH', `${LEASES}/applied?force=true`, '{}', 'application/merge-patch+json')).body.message).toContain('force: Forbidden: may not be specified for non-apply patch');
    expect((await apply('apiVersion: v1\nkind: ConfigMap\n', 'fieldManager=alice')).status).toBe(400);
    expect((await apply('spec: [unclosed', 'fieldManager=alice')).status).toBe(400);
    expect((await apply(configuration({ leaseDurationSeconds: -1 }), 'fieldManager=alice')).status).toBe(422);
  });
});
