/**
 * Two records of one case, side by side: every step's status code, compared headers (Content-Type,
 * Warning) and normalised body (or the view a step projects), and every watch's events. A Status
 * body is compared whole when its category's messages are "exact"; otherwise its code, reason,
 * details (name, group, kind) and each cause's field and reason, not the wording.
 */
import type { Case, Category } from './corpus.js';
import { newTokens, normalise } from './normalise.js';
import { project } from './projections.js';
import type { Observation } from './script.js';

export interface Difference {
  /** "step 3 body.spec.holderIdentity", "step 5 events[1].type", "step 2 code". */
  where: string;
  kubeApiserver: unknown;
  embedded: unknown;
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The differences between kube-apiserver's record and the embedded server's, at most `limit`. */
export function compareRecords(category: Category, testCase: Case, kube: Observation[], embedded: Observation[], limit = 20): Difference[] {
  const views = [viewOf(category, testCase, kube), viewOf(category, testCase, embedded)] as const;
  const differences: Difference[] = [];
  const steps = new Set([...views[0].keys(), ...views[1].keys()]);
  for (const step of [...steps].sort((a, b) => a - b)) {
    diff(views[0].get(step), views[1].get(step), `step ${step}`, differences);
  }
  return differences.slice(0, limit);
}

/** Per compared step, what is compared of it. */
function viewOf(category: Category, testCase: Case, record: Observation[]): Map<number, Json> {
  const tokens = newTokens();
  const view = new Map<number, Json>();
  for (const observation of record) {
    const step = testCase.steps[observation.step - 1]!;
    // Tokens are handed out over every step, compared or not, so that R1 is the same object on both servers.
    const shown = (body: Json) => {
      const normal = normalise(body, tokens);
      const projected = step.project && observation.kind === 'answer' && observation.code < 300 ? project(normal, step.project) : normal;
      const worded = category.messages === 'ignored' ? withoutStatusWording(projected) : projected;
      return category.descriptions === 'present' ? describedOnly(worded) : worded;
    };
    if (observation.kind === 'events') {
      const events = observation.events.map(shown);
      if (step.compare !== false) view.set(observation.step, { events, ended: observation.ended });
      continue;
    }
    const body = shown(observation.body);
    if (step.compare === false) continue;
    if (step.compare === 'code') {
      view.set(observation.step, { code: observation.code });
      continue;
    }
    view.set(observation.step, {
      code: observation.code,
      headers: observation.headers,
      ...(observation.kind === 'answer' || observation.body !== undefined ? { body } : {}),
      ...(observation.kind === 'answer' && observation.error ? { error: observation.error } : {}),
    });
  }
  return view;
}

/** Every `description` replaced by whether it has words. */
function describedOnly(value: Json): Json {
  if (Array.isArray(value)) return value.map(describedOnly);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, key === 'description' && typeof child === 'string' ? child.length > 0 : describedOnly(child)]));
}

/** A Status (or a watch ERROR event's Status) without its wording. */
function withoutStatusWording(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutStatusWording);
  if (!isObject(value)) return value;
  if (value.kind !== 'Status') return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, withoutStatusWording(child)]));
  const { message: _message, ...rest } = value;
  const details = isObject(rest.details) ? { ...rest.details } : undefined;
  if (details && Array.isArray(details.causes)) details.causes = (details.causes as JsonObject[]).map(({ message: _causeMessage, ...cause }) => cause);
  return { ...rest, ...(details ? { details } : {}) };
}

function diff(kube: Json, embedded: Json, where: string, into: Difference[]): void {
  if (isObject(kube) && isObject(embedded)) {
    for (const key of [...new Set([...Object.keys(kube), ...Object.keys(embedded)])].sort()) {
      const segment = /^[\w:-]+$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      diff(kube[key], embedded[key], `${where}${segment}`, into);
    }
    return;
  }
  if (Array.isArray(kube) && Array.isArray(embedded) && kube.length === embedded.length) {
    kube.forEach((item, index) => diff(item, embedded[index], `${where}[${index}]`, into));
    return;
  }
  if (JSON.stringify(kube) !== JSON.stringify(embedded)) into.push({ where: where.replace(/^(step \d+)\./, '$1 '), kubeApiserver: kube, embedded });
}
