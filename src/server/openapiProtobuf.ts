/**
 * The OpenAPI v2 document as gnostic's protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`),
 * the only form kubectl 1.20 reads. Only the messages and fields the document uses are declared,
 * with gnostic's field numbers; protobufjs does the wire encoding.
 */
import protobuf from 'protobufjs/light.js';

type Fields = Record<string, { id: number; type: string; rule?: 'repeated' }>;
const message = (fields: Fields) => ({ fields });
const named = (value: string) => message({ name: { id: 1, type: 'string' }, value: { id: 2, type: value } });

const root = protobuf.Root.fromJSON({
  nested: {
    Document: message({
      swagger: { id: 1, type: 'string' },
      info: { id: 2, type: 'Info' },
      paths: { id: 8, type: 'Paths' },
      definitions: { id: 9, type: 'Definitions' },
    }),
    Info: message({ title: { id: 1, type: 'string' }, version: { id: 2, type: 'string' } }),
    Paths: message({ path: { id: 2, type: 'NamedPathItem', rule: 'repeated' } }),
    NamedPathItem: named('PathItem'),
    PathItem: message({
      get: { id: 2, type: 'Operation' },
      put: { id: 3, type: 'Operation' },
      post: { id: 4, type: 'Operation' },
      delete: { id: 5, type: 'Operation' },
      patch: { id: 8, type: 'Operation' },
      parameters: { id: 9, type: 'ParametersItem', rule: 'repeated' },
    }),
    Operation: message({
      tags: { id: 1, type: 'string', rule: 'repeated' },
      description: { id: 3, type: 'string' },
      operationId: { id: 5, type: 'string' },
      produces: { id: 6, type: 'string', rule: 'repeated' },
      consumes: { id: 7, type: 'string', rule: 'repeated' },
      parameters: { id: 8, type: 'ParametersItem', rule: 'repeated' },
      responses: { id: 9, type: 'Responses' },
      schemes: { id: 10, type: 'string', rule: 'repeated' },
      vendorExtension: { id: 13, type: 'NamedAny', rule: 'repeated' },
    }),
    ParametersItem: message({ parameter: { id: 1, type: 'Parameter' } }),
    Parameter: message({ bodyParameter: { id: 1, type: 'BodyParameter' }, nonBodyParameter: { id: 2, type: 'NonBodyParameter' } }),
    BodyParameter: message({
      description: { id: 1, type: 'string' },
      name: { id: 2, type: 'string' },
      in: { id: 3, type: 'string' },
      required: { id: 4, type: 'bool' },
      schema: { id: 5, type: 'Schema' },
    }),
    NonBodyParameter: message({
      queryParameterSubSchema: { id: 3, type: 'QueryParameterSubSchema' },
      pathParameterSubSchema: { id: 4, type: 'PathParameterSubSchema' },
    }),
    QueryParameterSubSchema: message({
      required: { id: 1, type: 'bool' },
      in: { id: 2, type: 'string' },
      description: { id: 3, type: 'string' },
      name: { id: 4, type: 'string' },
      type: { id: 6, type: 'string' },
      uniqueItems: { id: 20, type: 'bool' },
    }),
    PathParameterSubSchema: message({
      required: { id: 1, type: 'bool' },
      in: { id: 2, type: 'string' },
      description: { id: 3, type: 'string' },
      name: { id: 4, type: 'string' },
      type: { id: 5, type: 'string' },
      uniqueItems: { id: 19, type: 'bool' },
    }),
    Responses: message({ responseCode: { id: 1, type: 'NamedResponseValue', rule: 'repeated' } }),
    NamedResponseValue: named('ResponseValue'),
    ResponseValue: message({ response: { id: 1, type: 'Response' } }),
    Response: message({ description: { id: 1, type: 'string' }, schema: { id: 2, type: 'SchemaItem' } }),
    SchemaItem: message({ schema: { id: 1, type: 'Schema' } }),
    Definitions: message({ additionalProperties: { id: 1, type: 'NamedSchema', rule: 'repeated' } }),
    NamedSchema: named('Schema'),
    Schema: message({
      ref: { id: 1, type: 'string' },
      format: { id: 2, type: 'string' },
      description: { id: 4, type: 'string' },
      required: { id: 19, type: 'string', rule: 'repeated' },
      additionalProperties: { id: 21, type: 'AdditionalPropertiesItem' },
      type: { id: 22, type: 'TypeItem' },
      items: { id: 23, type: 'ItemsItem' },
      properties: { id: 25, type: 'Properties' },
      vendorExtension: { id: 31, type: 'NamedAny', rule: 'repeated' },
    }),
    AdditionalPropertiesItem: message({ schema: { id: 1, type: 'Schema' } }),
    TypeItem: message({ value: { id: 1, type: 'string', rule: 'repeated' } }),
    ItemsItem: message({ schema: { id: 1, type: 'Schema', rule: 'repeated' } }),
    Properties: message({ additionalProperties: { id: 1, type: 'NamedSchema', rule: 'repeated' } }),
    NamedAny: named('Any'),
    // gnostic keeps extension values as YAML text; JSON is YAML.
    Any: message({ yaml: { id: 2, type: 'string' } }),
  },
});

type Json = Record<string, unknown>;

const extensions = (object: Json) =>
  Object.entries(object)
    .filter(([key]) => key.startsWith('x-'))
    .map(([name, value]) => ({ name, value: { yaml: JSON.stringify(value) } }));

function schema(json: Json): Json {
  return {
    ref: json.$ref,
    format: json.format,
    description: json.description,
    required: json.required,
    type: json.type ? { value: [json.type] } : undefined,
    items: json.items ? { schema: [schema(json.items as Json)] } : undefined,
    additionalProperties: json.additionalProperties ? { schema: schema(json.additionalProperties as Json) } : undefined,
    properties: json.properties
      ? { additionalProperties: Object.entries(json.properties as Record<string, Json>).map(([name, value]) => ({ name, value: schema(value) })) }
      : undefined,
    vendorExtension: extensions(json),
  };
}

function parameter(json: Json): Json {
  if (json.in === 'body') return { parameter: { bodyParameter: { ...json, schema: schema(json.schema as Json) } } };
  const sub = { ...json, uniqueItems: true };
  return { parameter: { nonBodyParameter: json.in === 'path' ? { pathParameterSubSchema: sub } : { queryParameterSubSchema: sub } } };
}

function operation(json: Json): Json {
  const responses = json.responses as Record<string, Json>;
  return {
    ...json,
    parameters: ((json.parameters as Json[]) ?? []).map(parameter),
    responses: {
      responseCode: Object.entries(responses).map(([name, response]) => ({
        name,
        value: { response: { description: response.description, schema: response.schema ? { schema: schema(response.schema as Json) } : undefined } },
      })),
    },
    vendorExtension: extensions(json),
  };
}

/** Encodes a Swagger 2.0 JSON document as gnostic's openapi.v2.Document. */
export function encodeOpenApiV2(document: { swagger: string; info: Json; paths: Record<string, Json>; definitions: Record<string, Json> }): Uint8Array {
  const methods = ['get', 'put', 'post', 'delete', 'patch'];
  const value = {
    swagger: document.swagger,
    info: document.info,
    paths: {
      path: Object.entries(document.paths).map(([name, item]) => ({
        name,
        value: {
          ...Object.fromEntries(methods.filter((m) => item[m]).map((m) => [m, operation(item[m] as Json)])),
          parameters: ((item.parameters as Json[]) ?? []).map(parameter),
        },
      })),
    },
    definitions: { additionalProperties: Object.entries(document.definitions).map(([name, definition]) => ({ name, value: schema(definition) })) },
  };
  const type = root.lookupType('Document');
  return type.encode(type.fromObject(value)).finish();
}
