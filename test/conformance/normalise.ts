/**
 * What may differ between two servers that behave the same: uids, timestamps the server sets, and
 * resourceVersion values. Within one case on one server each object resourceVersion becomes R1,
 * R2, ... and each uid U1, U2, ... in order of first appearance, so the *relations* still compare:
 * an update that stores a new version shows a new R, one that stores none shows the old one. The
 * resourceVersion of a list, a Table or a BOOKMARK is the server's revision at the time, which
 * kube-apiserver's own writes (its lease renewals) move: it becomes "<rv>". The causes of an apply
 * conflict are sorted: kube-apiserver lists them in Go's map order, which varies from run to run.
 * Nothing else changes.
 */

export interface Tokens {
  resourceVersions: Map<string, string>;
  uids: Map<string, string>;
}

export const newTokens = (): Tokens => ({ resourceVersions: new Map(), uids: new Map() });

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const sortedEntries = (object: JsonObject) => Object.entries(object).sort(([a], [b]) => a.localeCompare(b));

function token(map: Map<string, string>, prefix: string, value: string): string {
  let named = map.get(value);
  if (!named) map.set(value, (named = `${prefix}${map.size + 1}`));
  return named;
}

/** A normalised copy of `value` (an answer's body or a watch event). */
export function normalise(value: Json, tokens: Tokens): Json {
  return walk(value, tokens, []);
}

function walk(value: Json, tokens: Tokens, path: string[]): Json {
  if (Array.isArray(value)) return value.map((item, index) => walk(item, tokens, [...path, String(index)]));
  if (!isObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, child] of sortedEntries(value)) {
    if (key === 'metadata' && isObject(child)) result[key] = metadata(child, tokens);
    else if (key === 'details' && value.kind === 'Status' && isObject(child)) result[key] = details(child, tokens);
    else if (key === 'message' && value.kind === 'Status' && typeof child === 'string') result[key] = statusMessage(child, tokens);
    else result[key] = walk(child, tokens, [...path, key]);
  }
  if (value.kind === 'Table' && Array.isArray(value.columnDefinitions)) ageCells(result);
  return result;
}

function metadata(meta: JsonObject, tokens: Tokens): JsonObject {
  // ObjectMeta names an object; ListMeta (lists, Tables, BOOKMARKs) does not.
  const isObjectMeta = typeof meta.name === 'string' || typeof meta.generateName === 'string';
  const result: JsonObject = {};
  for (const [key, child] of sortedEntries(meta)) {
    if (key === 'resourceVersion' && typeof child === 'string' && child !== '') {
      result[key] = isObjectMeta ? token(tokens.resourceVersions, 'R', child) : '<rv>';
    } else if (key === 'uid' && typeof child === 'string') result[key] = token(tokens.uids, 'U', child);
    else if ((key === 'creationTimestamp' || key === 'deletionTimestamp') && typeof child === 'string') result[key] = '<time>';
    else if (key === 'continue' && typeof child === 'string' && child !== '') result[key] = '<continue>';
    else if (key === 'managedFields' && Array.isArray(child)) {
      result[key] = child.map((entry) => (isObject(entry) && typeof entry.time === 'string' ? { ...walk(entry, tokens, []) as JsonObject, time: '<time>' } : walk(entry, tokens, [])));
    } else result[key] = walk(child, tokens, ['metadata', key]);
  }
  return result;
}

function details(value: JsonObject, tokens: Tokens): JsonObject {
  const result = walk({ ...value, uid: undefined }, tokens, []) as JsonObject;
  delete result.uid;
  if (typeof value.uid === 'string') result.uid = token(tokens.uids, 'U', value.uid);
  const causes = result.causes;
  if (Array.isArray(causes) && causes.every((cause) => isObject(cause) && cause.reason === 'FieldManagerConflict')) {
    result.causes = [...(causes as JsonObject[])].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return result;
}

/** Known resourceVersions and uids become their tokens; other revision numbers in a message about versions become "<rv>". */
function statusMessage(message: string, tokens: Tokens): string {
  let text = message;
  for (const [raw, named] of [...tokens.resourceVersions, ...tokens.uids]) text = text.replaceAll(raw, named);
  if (/resource ?version/i.test(text)) text = text.replace(/\b\d{2,}\b/g, '<rv>');
  return text;
}

/** Age-like cells (Age, Last Seen) depend on when the row was printed. */
function ageCells(table: JsonObject): void {
  const columns = (table.columnDefinitions as JsonObject[]).map((column) => String(column.name));
  const timed = columns.map((name, index) => (/^(age|last seen|first seen)$/i.test(name) ? index : -1)).filter((index) => index >= 0);
  for (const row of (table.rows ?? []) as JsonObject[]) {
    if (!Array.isArray(row.cells)) continue;
    for (const index of timed) if (index < row.cells.length) row.cells[index] = '<age>';
  }
}
