/**
 * What JSON.parse forgets but Go's decoder acts on: a key given twice in one object (kube-apiserver
 * keeps the last and warns `duplicate field "spec.holderIdentity"`), and a number written with a
 * fraction or an exponent (`15.0` does not decode into an int32). One pass over text JSON.parse has
 * already accepted, without recursion, so any depth it parsed is safe here too.
 */

export interface JsonFacts {
  /** Dotted paths of keys given more than once, with the offset of the repetition. */
  duplicates: { path: string; at: number }[];
  /** Dotted paths of numbers written with '.', 'e' or 'E'. */
  fractional: Set<string>;
  /** Where each key path first appears (an offset), to report findings in the order of the text. */
  firstSeen: Map<string, number>;
}

interface Frame {
  object: boolean;
  keys: Set<string>;
  /** The key (object) or index (array) of the value being read. */
  at: string;
  index: number;
  expectingKey: boolean;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

export function jsonFacts(text: string): JsonFacts {
  const facts: JsonFacts = { duplicates: [], fractional: new Set(), firstSeen: new Map() };
  const stack: Frame[] = [];
  const path = () => stack.map((frame) => frame.at).join('.');
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.has(c) || c === ':') {
      i++;
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === '{' || c === '[') {
      stack.push({ object: c === '{', keys: new Set(), at: c === '[' ? '0' : '', index: 0, expectingKey: c === '{' });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      if (top?.object) top.expectingKey = true;
      else if (top) top.at = String(++top.index);
      i++;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.object && top.expectingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        top.at = key;
        const here = path();
        if (top.keys.has(key)) facts.duplicates.push({ path: here, at: i });
        else if (!facts.firstSeen.has(here)) facts.firstSeen.set(here, i);
        top.keys.add(key);
        top.expectingKey = false;
      }
      i = end + 1;
    } else {
      let end = i;
      while (end < text.length && !WHITESPACE.has(text[end]!) && !',}]'.includes(text[end]!)) end++;
      const token = text.slice(i, end);
      if (/^-?\d/.test(token) && /[.eE]/.test(token)) facts.fractional.add(path());
      i = end;
    }
  }
  return facts;
}
