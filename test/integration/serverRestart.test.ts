/**
 * Restarts of the embedded server: resourceVersions never go back or repeat (in memory too), and
 * with a data directory every acknowledged write survives — leases, resourceVersions, uids and
 * leaseTransitions — through compaction, a torn last log line, and a second server refused.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lease/errors.js';
import { type LeaseApiServer, type LeaseApiServerOptions, startLeaseApiServer } from '../../src/server/index.js';
import { readEvents } from '../support/traces.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
type Lease = { metadata: { name: string; uid: string; resourceVersion: string }; spec: { holderIdentity?: string; leaseTransitions?: number } };

describe('embedded server across restarts', () => {
  const servers: LeaseApiServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  async function start(options: LeaseApiServerOptions = {}) {
    const server = await startLeaseApiServer(options);
    servers.push(server);
    const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
      const response = await fetch(server.url + path, { method, headers: { 'content-type': type }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const take = (name: string, holder: string, transitions: number) =>
      call('PATCH', `${LEASES}/${name}`, { spec: { holderIdentity: holder, leaseTransitions: transitions } }, 'application/merge-patch+json');
    const stop = async () => {
      servers.splice(servers.indexOf(server), 1);
      await server.close();
    };
    return { server, call, take, stop };
  }

  it('in memory: a restarted server hands out resourceVersions above every one it handed out before', async () => {
    const first = await start();
    const before = (await first.call('POST', LEASES, { metadata: { name: 'x' }, spec: {} })).body as Lease;
    await first.stop();
    const second = await start();
    expect(second.server.mode).toBe('memory');
    expect((await second.call('GET', `${LEASES}/x`)).status).toBe(404); // in memory: gone, as documented
    const after = (await second.call('POST', LEASES, { metadata: { name: 'x' }, spec: {} })).body as Lease;
    expect(BigInt(after.metadata.resourceVersion)).toBeGreaterThan(BigInt(before.metadata.resourceVersion));
    // A client's cached resourceVersion cannot match the new object.
    expect((await second.call('PUT', `${LEASES}/x`, { ...after, metadata: { ...after.metadata, resourceVersion: before.metadata.resourceVersion } })).status).toBe(409);
  });

  it('with a data directory: leases, resourceVersions, uids and leaseTransitions are intact after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leasehold-data-'));
    const first = await start({ dataDir });
    expect(first.server.mode).toBe('durable');
    await first.call('POST', LEASES, { metadata: { name: 'a' }, spec: { holderIdentity: 'p1', leaseTransitions: 0 } });
    await first.call('POST', LEASES, { metadata: { name: 'gone' }, spec: {} });
    await first.take('a', 'p2', 1);
    const last = (await first.take('a', 'p3', 2)).body as Lease;
    await first.call('DELETE', `${LEASES}/gone`);
    const listed = (await first.call('GET', LEASES)).body;
    await first.stop();

    const second = await start({ dataDir });
    const recovered = (await second.call('GET', `${LEASES}/a`)).body as Lease;
    expect(recovered).toEqual(last);
    expect((await second.call('GET', `${LEASES}/gone`)).status).toBe(404);
    const relisted = (await second.call('GET', LEASES)).body;
    expect(BigInt(relisted.metadata.resourceVersion)).toBeGreaterThanOrEqual(BigInt(listed.metadata.resourceVersion));
    // The old resourceVersion still guards the object; new writes get higher ones.
    const next = (await second.call('PUT', `${LEASES}/a`, { ...recovered, spec: { ...recovered.spec, holderIdentity: 'p4', leaseTransitions: 3 } })).body as Lease;
    expect(BigInt(next.metadata.resourceVersion)).toBeGreaterThan(BigInt(last.metadata.resourceVersion));
    // A watch from before the restart cannot resume: 410, the client re-lists.
    const stale = await readEvents(await fetch(`${second.server.url}${LEASES}?watch=1&resourceVersion=${last.metadata.resourceVersion}`), 1, 10_000);
    expect(stale[0]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  });

  it('compacts the log into a snapshot and recovers from it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leasehold-data-'));
    const first = await start({ dataDir, compactionSlack: 20 });
    await first.call('POST', LEASES, { metadata: { name: 'c' }, spec: { leaseTransitions: 0 } });
    let last: Lease | undefined;
    for (let i = 1; i <= 60; i++) last = (await first.take('c', `p${i}`, i)).body as Lease;
    expect(existsSync(join(dataDir, 'snapshot.json'))).toBe(true);
    expect(readFileSync(join(dataDir, 'wal.log'), 'utf8').split('\n').filter(Boolean).length).toBeLessThan(30);
    await first.stop();
    const second = await start({ dataDir, compactionSlack: 20 });
    expect((await second.call('GET', `${LEASES}/c`)).body).toEqual(last);
  });

  it('drops a torn last log line (a write cut short, never acknowledged) and keeps everything before it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leasehold-data-'));
    const first = await start({ dataDir });
    const kept = (await first.call('POST', LEASES, { metadata: { name: 't' }, spec: { holderIdentity: 'p1' } })).body as Lease;
    await first.stop();
    appendFileSync(join(dataDir, 'wal.log'), '0badc0de {"rv":99999999999999999,"resource":"leases","type":"MODIFIED","obj');
    const size = statSync(join(dataDir, 'wal.log')).size;
    const second = await start({ dataDir });
    expect((await second.call('GET', `${LEASES}/t`)).body).toEqual(kept);
    expect(statSync(join(dataDir, 'wal.log')).size).toBeLessThan(size);
  });

  it('refuses a data directory another live process holds, and takes over one whose holder died', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leasehold-data-'));
    writeFileSync(join(dataDir, 'lock'), String(process.ppid)); // alive, and not this process
    await expect(startLeaseApiServer({ dataDir })).rejects.toThrow(ConfigError);
    const gone = spawnSync('true').pid!; // exited: as a server killed with -9 leaves its lock
    writeFileSync(join(dataDir, 'lock'), String(gone));
    expect((await start({ dataDir })).server.mode).toBe('durable');
  });
});
