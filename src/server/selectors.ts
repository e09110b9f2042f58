/** Field selectors (metadata.name, metadata.namespace and the kind's own) and equality label selectors, as list and watch take them. */
import type { StoredObject } from './objectStore.js';

export type Selector = (object: StoredObject) => boolean;
export type FieldReaders = Record<string, (object: StoredObject) => string>;

export class SelectorError extends Error {}

const METADATA_FIELDS: FieldReaders = {
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

export function parseSelectors(fieldSelector: string | null, labelSelector: string | null, kindFields: FieldReaders = {}): Selector {
  const known = { ...METADATA_FIELDS, ...kindFields };
  const fields = requirements(fieldSelector).map((r) => {
    const read = known[r.key];
    if (!read) throw new SelectorError(`"${r.key}" is not a known field selector: only ${Object.keys(known).map((k) => `"${k}"`).join(', ')}`);
    return (o: StoredObject) => (read(o) === r.value) === (r.op === '=');
  });
  const labels = requirements(labelSelector).map((r) => (o: StoredObject) => (o.metadata.labels?.[r.key] === r.value) === (r.op === '='));
  const all = [...fields, ...labels];
  return (object) => all.every((matches) => matches(object));
}
