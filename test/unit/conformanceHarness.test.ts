/**
 * The conformance harness judges what it is shown: resourceVersions and uids compare by their
 * relations, not their values; a different status code, body field or watch event is a difference;
 * Status wording is compared only where the category says so; an allowlist entry covers only the
 * places it names.
 */
import { describe, expect, it } from 'vitest';
import { uncovered } from '../conformance/allowlist.js';
import { compareRecords } from '../conformance/compare.js';
import type { Case, Category } from '../conformance/corpus.js';
import { loadCorpus } from '../conformance/corpus.js';
import type { Observation } from '../conformance/script.js';

const lease = (rv: string, uid: string, holder: string) => ({
  kind: 'Lease',
  apiVersion: 'coordination.k8s.io/v1',
  metadata: { name: 'a', uid, resourceVersion: rv, creationTimestamp: `2026-01-0${rv.length}T00:00:00Z` },
  spec: { holderIdentity: holder },
});
const answer = (step: number, code: number, body: unknown): Observation => ({ step, kind: 'answer', code, headers: { 'content-type': 'application/json' }, body });
const steps: Case = { name: 'two writes', steps: [{ request: 'POST {leases}' }, { request: 'PUT {leases}/a' }] };
const category = (messages: 'exact' | 'ignored'): Category => ({ category: 'c', compared: 'all', messages, cases: [steps], file: 'c.yaml' });

describe('conformance harness', () => {
  it('compares resourceVersions and uids by their relations, not their values', () => {
    const kube = [answer(1, 201, lease('17', 'u-1', 'alice')), answer(2, 200, lease('18', 'u-1', 'bob'))];
    const embedded = [answer(1, 201, lease('1796000000000001', 'x-9', 'alice')), answer(2, 200, lease('1796000000000002', 'x-9', 'bob'))];
    expect(compareRecords(category('exact'), steps, kube, embedded)).toEqual([]);
  });

  it('sees an update that stored a new version where the other server stored none', () => {
    const kube = [answer(1, 201, lease('17', 'u', 'alice')), answer(2, 200, lease('17', 'u', 'alice'))];
    const embedded = [answer(1, 201, lease('5', 'u', 'alice')), answer(2, 200, lease('6', 'u', 'alice'))];
    expect(compareRecords(category('exact'), steps, kube, embedded)).toEqual([{ where: 'step 2 body.metadata.resourceVersion', kubeApiserver: 'R1', embedded: 'R2' }]);
  });

  it('reports a different code and body, and compares Status wording only where the category says so', () => {
    const refusal = (message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', message, code: 422, details: { causes: [{ field: 'spec', reason: 'FieldValueInvalid', message }] } });
    const kube = [answer(1, 422, refusal('one wording')), answer(2, 200, lease('2', 'u', 'bob'))];
    const embedded = [answer(1, 422, refusal('another wording')), answer(2, 409, lease('2', 'u', 'bob'))];
    expect(compareRecords(category('ignored'), steps, kube, embedded).map((d) => d.where)).toEqual(['step 2 code']);
    expect(compareRecords(category('exact'), steps, kube, embedded).map((d) => d.where)).toEqual(['step 1 body.details.causes[0].message', 'step 1 body.message', 'step 2 code']);
  });

  it('an allowlist entry covers only the places it names', () => {
    const differences = [
      { where: 'step 1 code', kubeApiserver: 500, embedded: 400 },
      { where: 'step 1 body.reason', kubeApiserver: undefined, embedded: 'BadRequest' },
      { where: 'step 2 body.spec.holderIdentity', kubeApiserver: 'a', embedded: 'b' },
    ];
    const entry = { case: 'c/two writes', where: ['step 1 *'], why: 'a reason long enough to be one' };
    expect(uncovered(entry, differences).map((d) => d.where)).toEqual(['step 2 body.spec.holderIdentity']);
  });

  it('the corpus holds at least 100 scripts, each category saying what it compares', () => {
    const corpus = loadCorpus();
    expect(corpus.reduce((total, c) => total + c.cases.length, 0)).toBeGreaterThanOrEqual(100);
    for (const c of corpus) expect(c.compared.length, c.category).toBeGreaterThan(40);
  });
});
