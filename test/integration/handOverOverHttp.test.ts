/**
 * Targeted hand-over over real HTTP (issue 15) against the embedded server: the table of
 * test/support/handOverScenarios.ts (run against kube-apiserver in test/real/handOver.test.ts), and
 * a case that needs a proxy in front of the embedded server.
 */
import { describe, expect, it } from 'vitest';
import { annotate, handOverScenarios } from '../support/handOverScenarios.js';
import { httpWorldPerTest } from '../support/httpWorldPerTest.js';
import { startRewritingProxy } from '../support/rewritingProxy.js';

describe('hand-over over HTTP against the embedded server', () => {
  handOverScenarios('embedded', it, { coordinated: true });
});

describe('hand-over over HTTP against the embedded server: a late answer', () => {
  const { open } = httpWorldPerTest();

  it('a read answered late (an older version than the watch delivered) does not make the next write drop annotations', async () => {
    let stale: string | undefined;
    // The next Lease body answered is replaced by `stale`: a GET overtaken by a write the watch already showed.
    const w = await open({
      locksThrough: (url) =>
        startRewritingProxy(url, (json) => {
          if (stale === undefined || !json.startsWith('{"kind":"Lease"') && !json.startsWith('{"apiVersion"')) return json;
          const answer = stale;
          stale = undefined;
          return answer;
        }),
    });
    await w.put({ holderIdentity: '', leaseTransitions: 1 });
    const older = JSON.stringify(await w.stored());
    const lock = w.lock('pod-2');
    const seen: string[] = [];
    const watching = lock.watch().subscribe((event) => event.type === 'observed' && seen.push(event.lease!.resourceVersion));
    await w.clock.advance(0);
    const newer = await w.edit(annotate(undefined));
    await w.clock.advance(0);
    expect(seen.at(-1)).toBe(newer.metadata!.resourceVersion);
    stale = older;
    expect((await lock.get()).resourceVersion).toBe(JSON.parse(older).metadata.resourceVersion);
    const record = { holderIdentity: 'pod-2', leaseDurationSeconds: 15, acquireTime: w.clock.now(), renewTime: w.clock.now(), leaseTransitions: 2 };
    await lock.update(record, newer.metadata!.resourceVersion!);
    expect((await w.stored()).metadata!.annotations).toEqual({ team: 'db' });
    watching.unsubscribe();
  });
});
