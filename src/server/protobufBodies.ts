/**
 * The Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`: the bytes "k8s\0", then a
 * runtime.Unknown holding the kind and the object's bytes), decoded into the JSON form the rest of
 * the server handles, for the kinds clients send only that way: SelfSubjectAccessReview and
 * SelfSubjectRulesReview (`kubectl auth can-i`), and Lease and DeleteOptions (client-go's generated
 * clients send built-in kinds as protobuf, so every client-go leader election writes its Lease so).
 * Field numbers are those of k8s.io/api's and apimachinery's generated.proto; protobufjs does the
 * wire decoding. The answer goes back as JSON, which client-go reads by its Content-Type.
 */
import protobuf from 'protobufjs/light.js';

type Fields = Record<string, { id: number; type: string; rule?: 'repeated'; keyType?: string }>;
// proto2, as k8s.io's generated.proto: a field present on the wire is kept even when empty (a pointer to "").
const message = (fields: Fields) => ({ edition: 'proto2', fields });
const string = (id: number) => ({ id, type: 'string' });
const repeated = (id: number, type: string) => ({ id, type, rule: 'repeated' as const });
const map = (id: number) => ({ id, type: 'string', keyType: 'string' });

const root = protobuf.Root.fromJSON({
  nested: {
    Unknown: message({ typeMeta: { id: 1, type: 'TypeMeta' }, raw: { id: 2, type: 'bytes' } }),
    TypeMeta: message({ apiVersion: string(1), kind: string(2) }),
    SelfSubjectAccessReview: message({ spec: { id: 2, type: 'AccessReviewSpec' } }),
    AccessReviewSpec: message({ resourceAttributes: { id: 1, type: 'ResourceAttributes' }, nonResourceAttributes: { id: 2, type: 'NonResourceAttributes' } }),
    ResourceAttributes: message({
      namespace: string(1),
      verb: string(2),
      group: string(3),
      version: string(4),
      resource: string(5),
      subresource: string(6),
      name: string(7),
    }),
    NonResourceAttributes: message({ path: string(1), verb: string(2) }),
    SelfSubjectRulesReview: message({ spec: { id: 2, type: 'RulesReviewSpec' } }),
    RulesReviewSpec: message({ namespace: string(1) }),
    Lease: message({ metadata: { id: 1, type: 'ObjectMeta' }, spec: { id: 2, type: 'LeaseSpec' } }),
    LeaseSpec: message({
      holderIdentity: string(1),
      leaseDurationSeconds: { id: 2, type: 'int32' },
      acquireTime: { id: 3, type: 'Timestamp' },
      renewTime: { id: 4, type: 'Timestamp' },
      leaseTransitions: { id: 5, type: 'int32' },
      strategy: string(6),
      preferredHolder: string(7),
    }),
    ObjectMeta: message({
      name: string(1),
      generateName: string(2),
      namespace: string(3),
      selfLink: string(4),
      uid: string(5),
      resourceVersion: string(6),
      generation: { id: 7, type: 'int64' },
      creationTimestamp: { id: 8, type: 'Timestamp' },
      deletionTimestamp: { id: 9, type: 'Timestamp' },
      deletionGracePeriodSeconds: { id: 10, type: 'int64' },
      labels: map(11),
      annotations: map(12),
      ownerReferences: repeated(13, 'OwnerReference'),
      finalizers: repeated(14, 'string'),
      managedFields: repeated(17, 'ManagedFieldsEntry'),
    }),
    OwnerReference: message({
      kind: string(1),
      name: string(3),
      uid: string(4),
      apiVersion: string(5),
      controller: { id: 6, type: 'bool' },
      blockOwnerDeletion: { id: 7, type: 'bool' },
    }),
    ManagedFieldsEntry: message({
      manager: string(1),
      operation: string(2),
      apiVersion: string(3),
      time: { id: 4, type: 'Timestamp' },
      fieldsType: string(6),
      fieldsV1: { id: 7, type: 'FieldsV1' },
      subresource: string(8),
    }),
    FieldsV1: message({ raw: { id: 1, type: 'bytes' } }),
    // metav1.Time and metav1.MicroTime share this shape.
    Timestamp: message({ seconds: { id: 1, type: 'int64' }, nanos: { id: 2, type: 'int32' } }),
    DeleteOptions: message({
      gracePeriodSeconds: { id: 1, type: 'int64' },
      preconditions: { id: 2, type: 'Preconditions' },
      orphanDependents: { id: 3, type: 'bool' },
      propagationPolicy: string(4),
      dryRun: repeated(5, 'string'),
    }),
    Preconditions: message({ uid: string(1), resourceVersion: string(2) }),
  },
});

const MAGIC = Buffer.from('k8s\0', 'binary');
type Decoded = Record<string, unknown>;
type Timestamp = { seconds?: number; nanos?: number };

/** Time (whole seconds) or MicroTime (6 digits) as JSON writes it; the zero time is left out, as Go omits it. */
function formatTime(time: Timestamp | undefined, fractionDigits: 0 | 6): string | undefined {
  const seconds = Number(time?.seconds ?? 0);
  const nanos = time?.nanos ?? 0;
  if (seconds === 0 && nanos === 0) return undefined;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  return fractionDigits === 0 ? `${whole}Z` : `${whole}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** Go writes every non-pointer field, empty or not; JSON leaves empty ones out (omitempty). */
function withoutEmpty(object: Decoded): Decoded {
  const kept: Decoded = {};
  for (const [key, value] of Object.entries(object)) {
    const empty = value === undefined || value === '' || value === 0 || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
    if (!empty) kept[key] = value;
  }
  return kept;
}

function objectMeta(meta: Decoded | undefined): Decoded {
  if (!meta) return {};
  const managedFields = (meta.managedFields as Decoded[] | undefined)?.map((entry) => {
    const raw = (entry.fieldsV1 as { raw?: Uint8Array } | undefined)?.raw;
    return withoutEmpty({ ...entry, time: formatTime(entry.time as Timestamp, 0), fieldsV1: raw ? JSON.parse(Buffer.from(raw).toString('utf8')) : undefined });
  });
  return withoutEmpty({
    ...meta,
    creationTimestamp: formatTime(meta.creationTimestamp as Timestamp, 0),
    deletionTimestamp: formatTime(meta.deletionTimestamp as Timestamp, 0),
    managedFields,
  });
}

/** A LeaseSpec's pointer fields are written only when set, so each one present is kept, "" and 0 included. */
function leaseSpec(spec: Decoded | undefined): Decoded {
  if (!spec) return {};
  const { acquireTime, renewTime, ...rest } = spec;
  return Object.fromEntries(
    Object.entries({ ...rest, acquireTime: acquireTime && formatTime(acquireTime as Timestamp, 6), renewTime: renewTime && formatTime(renewTime as Timestamp, 6) }).filter(([, value]) => value !== undefined),
  );
}

const toJson: Record<string, (object: Decoded) => Decoded> = {
  SelfSubjectAccessReview: (object) => ({ spec: object.spec ?? {} }),
  SelfSubjectRulesReview: (object) => ({ spec: object.spec ?? {} }),
  Lease: (object) => ({ metadata: objectMeta(object.metadata as Decoded), spec: leaseSpec(object.spec as Decoded) }),
  DeleteOptions: (object) => object, // pointer fields: each one present is meant, 0 included
};

/** The object in a Kubernetes protobuf body, as its JSON form; undefined for a kind not decoded here. */
export function decodeKubernetesProtobuf(bytes: Buffer): Record<string, unknown> | undefined {
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const unknownType = root.lookupType('Unknown');
  const unknown = unknownType.toObject(unknownType.decode(bytes.subarray(MAGIC.length))) as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Uint8Array;
  };
  const kind = unknown.typeMeta?.kind ?? '';
  const convert = toJson[kind];
  if (!convert || !unknown.raw) return undefined;
  const type = root.lookupType(kind);
  const object = type.toObject(type.decode(unknown.raw), { defaults: false, longs: Number }) as Decoded;
  return { apiVersion: unknown.typeMeta?.apiVersion, kind, ...convert(object) };
}
