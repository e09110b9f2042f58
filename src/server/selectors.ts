/** Field selectors (metadata.name, metadata.namespace) and equality label selectors, as list and watch take them. */
import type { LeaseObject } from './leaseObjects.js';

export type Selector = (object: LeaseObject) => boolean;

export class SelectorError extends Error {}

const FIELDS: Record<string, (o: LeaseObject) => string> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
};

function requirements(text: string | null): { key: string; op: '=' | '!='; value: string }[] {
  if (!text) return [];
  return text.split(',').map((term) => {
    const match = /^\s*([^!=\s]+)\s*(==|=|!=)\s*([^,]*?)\s*$/.exec(term);
    if (!match) throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
    return { key: match[1]!, op: match[2] === '!=' ? '!=' : '=', value: match[3]! };
  });
}

export function parseSelectors(fieldSelector: string | null, labelSelector: string | null): Selector {
  const fields = requirements(fieldSelector).map((r) => {
    const read = FIELDS[r.key];
    if (!read) throw new SelectorError(`"${r.key}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    return (o: LeaseObject) => (read(o) === r.value) === (r.op === '=');
  });
  const labels = requirements(labelSelector).map(
    (r) => (o: LeaseObject) => (o.metadata.labels?.[r.key] === r.value) === (r.op === '='),
  );
  const all = [...fields, ...labels];
  return (object) => all.every((matches) => matches(object));
}
