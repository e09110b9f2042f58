/**
 * Decoding: the request body read within the size limit (413 beyond it, as kube-apiserver's 3 MiB),
 * then decoded by its media type — JSON, YAML (application/yaml and server-side apply), the patch
 * types for PATCH, protobuf for the kinds protobufBodies.ts knows — and refused with 415 for any
 * other type, 400 when it does not parse or nests deeper than Go's decoder allows (10,000 levels).
 * What JSON.parse forgets and Go acts on (duplicate keys, `15.0` for an integer) is kept beside the value.
 */
import type { IncomingMessage } from 'node:http';
import yaml from 'js-yaml';
import { HttpError } from './encoding.js';
import { type JsonFacts, jsonFacts } from './jsonFacts.js';
import { decodeKubernetesProtobuf } from './protobufBodies.js';
import * as status from './status.js';

/** kube-apiserver's limit on a request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Go's encoding/json nesting limit; deeper bodies are refused before anything looks at them. */
export const MAX_DEPTH = 10_000;

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', APPLY_PATCH];
const OBJECT_TYPES = ['application/json', 'application/yaml'];
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** The media type of a request body, without parameters; JSON when the client named none. */
export function mediaTypeOf(request: IncomingMessage): string {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === '' ? 'application/json' : type;
}

export async function readBody(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) throw new HttpError(status.entityTooLarge(maxBytes));
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    length += (chunk as Buffer).length;
    if (length > maxBytes) throw new HttpError(status.entityTooLarge(maxBytes));
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function depthOf(value: unknown, limit: number): number {
  // Iterative, so that a hostile body cannot overflow the stack here either.
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A decoded request body: its value (undefined when empty) and, for JSON, what Go's decoder would also see. */
export interface DecodedBody {
  value: unknown;
  facts: JsonFacts;
}

export const NO_FACTS: JsonFacts = { duplicates: [], fractional: new Set(), firstSeen: new Map() };

/** The decoded body, or an HttpError naming what is wrong with it. */
export function decodeBody(bytes: Buffer, method: string, type: string): DecodedBody {
  const accepted = method === 'PATCH' ? PATCH_TYPES : OBJECT_TYPES;
  if (type === PROTOBUF && method !== 'PATCH') {
    const object = decodeKubernetesProtobuf(bytes);
    if (object) return { value: object, facts: NO_FACTS };
  }
  if (!accepted.includes(type)) throw new HttpError(status.unsupportedMediaType(type, accepted, method === 'PATCH'));
  const text = bytes.toString('utf8');
  if (text.trim() === '') return { value: undefined, facts: NO_FACTS };
  let body: unknown;
  try {
    body = type === APPLY_PATCH || type === 'application/yaml' ? yaml.load(text) : JSON.parse(text);
  } catch (error) {
    throw new HttpError(status.badRequest(`the body of the request could not be decoded as ${type === 'application/json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`));
  }
  if (depthOf(body, MAX_DEPTH) > MAX_DEPTH) throw new HttpError(status.badRequest(`the body of the request nests deeper than ${MAX_DEPTH} levels`));
  return { value: body, facts: type === APPLY_PATCH || type === 'application/yaml' ? NO_FACTS : jsonFacts(text) };
}
