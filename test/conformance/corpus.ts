/**
 * The conformance corpus: request scripts kept as data (test/conformance/corpus/*.yaml), one file
 * per category. A script is a list of steps — requests, watches and the events a watch delivered —
 * run in order against one server; the same script runs against kube-apiserver and the embedded
 * server, and what each step observed is compared after normalisation (see normalise.ts).
 *
 * In a step's request line, query and body: `{ns}` is the case's own namespace (created on
 * kube-apiserver before the case, implicit on the embedded server), `{leases}`, `{events}` and
 * `{eventsv1}` its collections' paths, and `{$name}` a value a step saved from its answer on that
 * same server (a resourceVersion, a continue token).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

const CORPUS_DIR = join(import.meta.dirname, 'corpus');

/** Bodies too large or too deep to write out, made when the step runs. */
export type GeneratedBody =
  /** A Lease whose one annotation makes the JSON `bytes` long. */
  | { kind: 'padded-lease'; bytes: number }
  /** A Lease with `depth` nested objects under one annotation-less field. */
  | { kind: 'nested-lease'; depth: number };

export interface Step {
  /** "METHOD /path?query": a request, answered once. */
  request?: string;
  /** "GET /path?watch=1...": opens a watch stream (named by `as`, default "w"); its status and headers are compared. */
  watch?: string;
  as?: string;
  /** The events watch `events` delivered since the last `events` step for it. */
  events?: string;
  /** Wait for this many events (BOOKMARKs counted only with `bookmarks: true`), then `settle` ms more for any extra. */
  count?: number;
  /** Also wait for the stream to end (timeoutSeconds, or the server closing it). */
  end?: boolean;
  /** How long to wait for them; default 8000 ms. */
  within?: number;
  /** Extra wait after `count` is reached, to catch events beyond it; default 500 ms (1500 ms when count is 0). */
  settle?: number;
  /**
   * BOOKMARK events compared: `true` all of them; "initial" only the one that ends a streaming list
   * (annotated k8s.io/initial-events-end); by default none, since kube-apiserver sends the periodic
   * ones on its own schedule (it has been seen to send one within a second of a streaming list's end).
   */
  bookmarks?: boolean | 'initial';
  /** A JSON body (sent as application/json unless `headers` say otherwise); strings are sent as they are. */
  body?: unknown;
  /** A body sent byte for byte (malformed JSON, YAML). */
  raw?: string;
  generate?: GeneratedBody;
  headers?: Record<string, string>;
  /** "none": no Authorization header (an anonymous client); "wrong": a bearer token the server does not know. */
  auth?: 'none' | 'wrong';
  /** name → dotted path into the answer's body ("metadata.resourceVersion"): saved as {$name}. */
  save?: Record<string, string>;
  /** false: a setup step, run but not compared; "code": only the status code compared. */
  compare?: boolean | 'code';
  /** A named view of the answer to compare instead of the whole body (see projections.ts). */
  project?: string;
  /** Sleep this many ms before the step (only where a server's own timing is the subject, e.g. a watch timeout). */
  pause?: number;
  /** Why the step is there, when the request line does not say it. */
  note?: string;
}

export interface Case {
  name: string;
  /** What the case shows; printed with its differences. */
  about?: string;
  /**
   * Which runs the case is part of: "plain" (feature gates as shipped, the default), "coordinated"
   * (CoordinatedLeaderElection on, both servers) or "both" (the case depends on the gate).
   */
  passes?: 'plain' | 'coordinated' | 'both';
  steps: Step[];
}

export interface Category {
  /** Short name, the table's row. */
  category: string;
  /** What is compared for this category, in a sentence or two (printed by `npm run conformance --explain`). */
  compared: string;
  /**
   * Status messages: "exact" compares `message` and the causes' messages too; "ignored" compares
   * code, reason, details (name, group, kind) and each cause's field and reason only.
   */
  messages: 'exact' | 'ignored';
  /** "present": a `description` compares as whether there is one, not its words (the project writes its own). */
  descriptions?: 'present';
  cases: Case[];
  /** The file it came from. */
  file: string;
}

export type Pass = 'plain' | 'coordinated';

export function runsIn(testCase: Case, pass: Pass): boolean {
  const passes = testCase.passes ?? 'plain';
  return passes === 'both' || passes === pass;
}

export function loadCorpus(dir = CORPUS_DIR): Category[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const category = yaml.load(readFileSync(join(dir, file), 'utf8')) as Omit<Category, 'file'>;
      checkCategory(category, file);
      return { ...category, file };
    });
}

const STEP_KINDS = ['request', 'watch', 'events'] as const;

function checkCategory(category: Omit<Category, 'file'>, file: string): void {
  const fail = (why: string) => {
    throw new Error(`test/conformance/corpus/${file}: ${why}`);
  };
  if (!category.category || !category.compared || !['exact', 'ignored'].includes(category.messages)) fail('needs category, compared and messages (exact | ignored)');
  if (!Array.isArray(category.cases) || category.cases.length === 0) fail('has no cases');
  const names = new Set<string>();
  for (const testCase of category.cases) {
    if (!testCase.name || names.has(testCase.name)) fail(`a case has no name, or "${testCase.name}" twice`);
    names.add(testCase.name);
    if (!Array.isArray(testCase.steps) || testCase.steps.length === 0) fail(`case "${testCase.name}" has no steps`);
    for (const [index, step] of testCase.steps.entries()) {
      const kinds = STEP_KINDS.filter((kind) => step[kind] !== undefined);
      if (kinds.length !== 1) fail(`case "${testCase.name}" step ${index + 1} must be exactly one of ${STEP_KINDS.join(', ')}`);
      const line = step.request ?? step.watch;
      if (line !== undefined && !/^[A-Z]+ [/{]\S*$/.test(line)) fail(`case "${testCase.name}" step ${index + 1}: "${line}" is not "METHOD /path"`);
    }
  }
}
