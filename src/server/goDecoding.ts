/**
 * A request body decoded as kube-apiserver decodes it into its Go types: the kind and version
 * checked (400), each declared field type-checked (400, with Go's wording), times parsed and
 * written in UTC, unknown and duplicate fields reported by `fieldValidation` (Warn: a Warning
 * header each, in the order of the body; Strict: 400; Ignore: nothing), and the result shaped as
 * Go would encode it again.
 */
import { HttpError } from './encoding.js';
import type { Shape } from './goShapes.js';
import type { JsonFacts } from './jsonFacts.js';
import * as status from './status.js';
import { normalizedMicroTime, normalizedTime } from './validation.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface DecodeTarget {
  kind: string;
  /** "coordination.k8s.io/v1", "v1". */
  apiVersion: string;
  shape: Shape;
}

export interface Decoded {
  /** The object as Go decoded it, with the target's apiVersion and kind. */
  object: Record<string, unknown>;
  /** Warning header texts (unknown and duplicate fields). */
  warnings: string[];
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const INT32 = 2 ** 31;

const jsonType = (value: Json) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? 'number' : typeof value);

function goType(shape: Shape): string {
  switch (shape.kind) {
    case 'scalar':
      return shape.type === 'integer' ? (shape.int64 ? 'int64' : 'int32') : shape.type === 'boolean' ? 'bool' : 'string';
    case 'time':
      return shape.micro ? 'v1.MicroTime' : 'v1.Time';
    case 'map':
      return 'map[string]string';
    case 'list':
      return '[]interface {}';
    case 'struct':
      return `v1.${shape.name}`;
  }
}

class GoTypeError extends Error {}

/** The value decoded into `shape` (undefined: Go leaves it out), or a GoTypeError in Go's words. */
function decodeValue(value: Json, shape: Shape, path: string[], owner: string, facts: JsonFacts): Json {
  const dotted = path.join('.');
  const refuse = (shown: string) => {
    throw new GoTypeError(`json: cannot unmarshal ${shown} into Go struct field ${owner}.${dotted} of type ${goType(shape)}`);
  };
  switch (shape.kind) {
    case 'scalar': {
      if (value === null || value === undefined) return shape.zero === 'keep' ? (shape.type === 'string' ? '' : shape.type === 'integer' ? 0 : false) : undefined;
      if (shape.type === 'integer') {
        if (typeof value !== 'number') return refuse(jsonType(value));
        const limit = shape.int64 ? 2 ** 63 : INT32;
        if (facts.fractional.has(dotted) || !Number.isInteger(value) || value >= limit || value < -limit) return refuse(`number ${value}`);
      } else if (jsonType(value) !== (shape.type === 'boolean' ? 'bool' : 'string')) return refuse(jsonType(value));
      return shape.zero === 'omit' && (value === '' || value === 0 || value === false) ? undefined : value;
    }
    case 'time': {
      if (value === null || value === undefined) return shape.pointer ? undefined : null;
      if (typeof value !== 'string') throw new GoTypeError(`json: cannot unmarshal ${jsonType(value)} into Go value of type string`);
      const normalized = shape.micro ? normalizedMicroTime(value) : normalizedTime(value);
      if (normalized === undefined) {
        throw new GoTypeError(
          shape.micro
            ? `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse as MicroTime (${dotted} needs exactly six fractional digits and a real date and time)`
            : `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time`,
        );
      }
      return normalized;
    }
    case 'map': {
      if (value === null || value === undefined) return undefined;
      if (!isObject(value)) return refuse(jsonType(value));
      for (const entry of Object.values(value)) if (typeof entry !== 'string') throw new GoTypeError(`json: cannot unmarshal ${jsonType(entry)} into Go struct field ${owner}.${dotted} of type string`);
      return Object.keys(value).length > 0 ? { ...value } : undefined;
    }
    case 'list':
      if (value === null || value === undefined) return undefined;
      if (!Array.isArray(value)) return refuse(jsonType(value));
      return value.length > 0 ? value : undefined;
    case 'struct': {
      if (value === null || value === undefined) return shape.pointer ? undefined : decodeStruct({}, shape, path, facts);
      if (!isObject(value)) return refuse(jsonType(value));
      return decodeStruct(value, shape, path, facts);
    }
  }
}

function decodeStruct(value: JsonObject, shape: Extract<Shape, { kind: 'struct' }>, path: string[], facts: JsonFacts): JsonObject {
  const result: JsonObject = {};
  for (const [field, fieldShape] of Object.entries(shape.fields)) {
    const decoded = decodeValue(value[field], fieldShape, [...path, field], shape.name, facts);
    if (decoded !== undefined) result[field] = decoded;
  }
  return result;
}

/** Unknown fields (bounded by the shape: nothing under an unknown field is visited). */
function unknownFields(value: Json, shape: Shape, path: string[], into: string[]): void {
  if (shape.kind !== 'struct' || !isObject(value)) return;
  for (const [field, child] of Object.entries(value)) {
    const fieldShape = shape.fields[field];
    if (!fieldShape) into.push([...path, field].join('.'));
    else unknownFields(child, fieldShape, [...path, field], into);
  }
}

const versionOf = (apiVersion: string) => apiVersion.split('/').pop()!;

/** The body decoded as `target`, or a 400 in kube-apiserver's words. */
export function decodeAs(body: Json, facts: JsonFacts, target: DecodeTarget, validation: FieldValidation): Decoded {
  const { kind, apiVersion } = target;
  const cannot = (why: string) => new HttpError(status.badRequest(`${kind} in version "${versionOf(apiVersion)}" cannot be handled as a ${kind}: ${why}`));
  if (!isObject(body)) {
    throw new HttpError(
      status.badRequest(
        `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonType(body)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
      ),
    );
  }
  const givenKind = typeof body.kind === 'string' && body.kind !== '' ? body.kind : kind;
  const givenVersion = typeof body.apiVersion === 'string' && body.apiVersion !== '' ? body.apiVersion : apiVersion;
  if (givenKind !== kind) throw new HttpError(status.badRequest(`${givenKind} in version "${versionOf(givenVersion)}" cannot be handled as a ${kind}: no conversion from ${givenVersion}, Kind=${givenKind}`));
  if (givenVersion !== apiVersion) throw new HttpError(status.badRequest(`the API version in the data (${givenVersion}) does not match the expected API version (${apiVersion})`));
  let object: JsonObject;
  try {
    object = decodeValue(body, target.shape, [], kind, facts) as JsonObject;
  } catch (error) {
    if (error instanceof GoTypeError) throw cannot(error.message);
    throw error;
  }
  const unknown: string[] = [];
  unknownFields(body, target.shape, [], unknown);
  const findings = [
    ...unknown.map((path) => ({ at: facts.firstSeen.get(path) ?? 0, text: `unknown field ${JSON.stringify(path)}` })),
    ...facts.duplicates.map(({ path, at }) => ({ at, text: `duplicate field ${JSON.stringify(path)}` })),
  ]
    .sort((a, b) => a.at - b.at)
    .map((finding) => finding.text);
  if (validation === 'Strict' && findings.length > 0) throw cannot(`strict decoding error: ${findings.join(', ')}`);
  return { object: { ...object, apiVersion, kind }, warnings: validation === 'Warn' ? findings : [] };
}
