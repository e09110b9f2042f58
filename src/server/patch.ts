/** Merge patch (RFC 7386; strategic merge with its map directives) and JSON patch (RFC 6902). */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A merge patch of `target`. As a strategic merge patch (these kinds have no lists with merge keys,
 * so it merges as a JSON merge patch) it also honours the `$patch` directive of a map: `replace`
 * puts the rest of the map in place of the target's, `delete` removes it.
 */
export function mergePatch(target: Json, patch: Json, options: { strategic?: boolean } = {}): Json {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const { $patch: directive, ...rest } = patch;
  const strategic = options.strategic === true && directive !== undefined;
  if (strategic && directive === 'delete') return null;
  const base = strategic && directive === 'replace' ? {} : target;
  const result: Record<string, Json> = typeof base === 'object' && base !== null && !Array.isArray(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(strategic ? rest : patch)) {
    const merged = value === null ? null : mergePatch(result[key] ?? null, value, options);
    if (merged === null) delete result[key];
    else result[key] = merged;
  }
  return result;
}

export class JsonPatchError extends Error {}

const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

function parsePointer(path: unknown): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw new JsonPatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path === '' ? [] : path.slice(1).split('/').map(unescape);
}

function parentOf(document: Json, tokens: string[]): { parent: Record<string, Json> | Json[]; key: string } {
  let node: Json = document;
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(token)] : typeof node === 'object' && node !== null ? node[token] : undefined;
    if (next === undefined) throw new JsonPatchError(`path /${tokens.join('/')} does not exist`);
    node = next;
  }
  if (typeof node !== 'object' || node === null) throw new JsonPatchError(`path /${tokens.join('/')} does not exist`);
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function read(document: Json, tokens: string[]): Json {
  if (tokens.length === 0) return document;
  const { parent, key } = parentOf(document, tokens);
  const value = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (value === undefined) throw new JsonPatchError(`path /${tokens.join('/')} does not exist`);
  return value;
}

function remove(document: Json, tokens: string[]): Json {
  const value = read(document, tokens);
  const { parent, key } = parentOf(document, tokens);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete parent[key];
  return value;
}

function add(document: Json, tokens: string[], value: Json): Json {
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(document, tokens);
  if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, value);
  else parent[key] = value;
  return document;
}

export function jsonPatch(document: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new JsonPatchError('a JSON patch must be an array of operations');
  let result: Json = structuredClone(document);
  for (const operation of operations as ({ op?: unknown; path?: unknown; from?: unknown; value?: Json } | null)[]) {
    if (typeof operation !== 'object' || operation === null || Array.isArray(operation)) {
      throw new JsonPatchError('every JSON patch operation must be an object');
    }
    const tokens = parsePointer(operation.path);
    switch (operation.op) {
      case 'add':
        result = add(result, tokens, structuredClone(operation.value ?? null));
        break;
      case 'remove':
        remove(result, tokens);
        break;
      case 'replace':
        read(result, tokens);
        if (tokens.length === 0) result = structuredClone(operation.value ?? null);
        else {
          remove(result, tokens);
          result = add(result, tokens, structuredClone(operation.value ?? null));
        }
        break;
      case 'test':
        if (JSON.stringify(read(result, tokens)) !== JSON.stringify(operation.value)) {
          throw new JsonPatchError(`test failed at ${String(operation.path)}`);
        }
        break;
      case 'move':
      case 'copy': {
        const from = parsePointer(operation.from);
        const value = operation.op === 'move' ? remove(result, from) : structuredClone(read(result, from));
        result = add(result, tokens, value);
        break;
      }
      default:
        throw new JsonPatchError(`unknown JSON patch operation ${JSON.stringify(operation.op)}`);
    }
  }
  return result;
}

export type { Json };
