/**
 * Selectors as list and watch take them: field selectors (metadata.name, metadata.namespace and the
 * kind's own; `=`, `==`, `!=`) and label selectors with kube-apiserver's grammar (`key`, `!key`,
 * `key=v`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`, `key>1`, `key<1`); anything
 * else is a SelectorError (400).
 */
import type { StoredObject } from './objectStore.js';
import { labelValueProblems, qualifiedNameProblems } from './validation.js';

export type Selector = (object: StoredObject) => boolean;
export type FieldReaders = Record<string, (object: StoredObject) => string>;

export class SelectorError extends Error {}

const METADATA_FIELDS: FieldReaders = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
};

/** Splits on commas outside parentheses. */
function terms(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function fieldRequirement(term: string, known: FieldReaders): Selector {
  const match = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (!match) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
  const [, key, op, value] = match as unknown as [string, string, string, string];
  const read = known[key];
  if (!read) throw new SelectorError(`field label not supported: ${key}`);
  return (object) => (read(object) === value) === (op !== '!=');
}

function checkKey(key: string, term: string): void {
  const why = qualifiedNameProblems(key)[0];
  if (why) throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}: key: Invalid value: ${JSON.stringify(key)}: ${why}`);
}

function checkValue(value: string, term: string): void {
  const why = labelValueProblems(value)[0];
  if (why) throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}: values[0]: Invalid value: ${JSON.stringify(value)}: ${why}`);
}

function labelRequirement(term: string): Selector {
  const label = (object: StoredObject, key: string) => object.metadata.labels?.[key];
  let match = /^(!?)\s*([^\s!=<>(),]+)$/.exec(term);
  if (match) {
    const [, not, key] = match as unknown as [string, string, string];
    checkKey(key, term);
    return (object) => (label(object, key) !== undefined) !== (not === '!');
  }
  match = /^([^\s!=<>(),]+)\s*(==|=|!=|>|<)\s*([^\s(),]*)$/.exec(term);
  if (match) {
    const [, key, op, value] = match as unknown as [string, string, string, string];
    checkKey(key, term);
    if (op === '>' || op === '<') {
      if (!/^-?\d+$/.test(value)) throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      const bound = Number(value);
      return (object) => {
        const found = label(object, key);
        if (found === undefined || !/^-?\d+$/.test(found)) return false;
        return op === '>' ? Number(found) > bound : Number(found) < bound;
      };
    }
    checkValue(value, term);
    return op === '!=' ? (object) => label(object, key) !== value : (object) => label(object, key) === value;
  }
  match = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(term);
  if (match) {
    const [, key, op, list] = match as unknown as [string, string, string, string];
    checkKey(key, term);
    const values = list.split(',').map((value) => value.trim());
    for (const value of values) checkValue(value, term);
    return op === 'in' ? (object) => values.includes(label(object, key) ?? '\u0000') : (object) => !values.includes(label(object, key) ?? '\u0000');
  }
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

export function parseSelectors(fieldSelector: string | null, labelSelector: string | null, kindFields: FieldReaders = {}): Selector {
  const known = { ...METADATA_FIELDS, ...kindFields };
  const all = [...terms(fieldSelector ?? '').map((term) => fieldRequirement(term, known)), ...terms(labelSelector ?? '').map(labelRequirement)];
  return (object) => all.every((matches) => matches(object));
}
