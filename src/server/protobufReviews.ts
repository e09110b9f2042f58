/**
 * The Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`: the bytes "k8s\0", then a
 * runtime.Unknown holding the kind and the object's bytes), decoded for the two kinds that kubectl
 * sends only that way: SelfSubjectAccessReview and SelfSubjectRulesReview (`kubectl auth can-i`).
 * Field numbers are those of k8s.io/api's generated.proto; protobufjs does the wire decoding. The
 * answer goes back as JSON, which client-go reads by its Content-Type.
 */
import protobuf from 'protobufjs/light.js';

type Fields = Record<string, { id: number; type: string }>;
const message = (fields: Fields) => ({ fields });

const root = protobuf.Root.fromJSON({
  nested: {
    Unknown: message({ typeMeta: { id: 1, type: 'TypeMeta' }, raw: { id: 2, type: 'bytes' } }),
    TypeMeta: message({ apiVersion: { id: 1, type: 'string' }, kind: { id: 2, type: 'string' } }),
    SelfSubjectAccessReview: message({ spec: { id: 2, type: 'AccessReviewSpec' } }),
    AccessReviewSpec: message({ resourceAttributes: { id: 1, type: 'ResourceAttributes' }, nonResourceAttributes: { id: 2, type: 'NonResourceAttributes' } }),
    ResourceAttributes: message({
      namespace: { id: 1, type: 'string' },
      verb: { id: 2, type: 'string' },
      group: { id: 3, type: 'string' },
      version: { id: 4, type: 'string' },
      resource: { id: 5, type: 'string' },
      subresource: { id: 6, type: 'string' },
      name: { id: 7, type: 'string' },
    }),
    NonResourceAttributes: message({ path: { id: 1, type: 'string' }, verb: { id: 2, type: 'string' } }),
    SelfSubjectRulesReview: message({ spec: { id: 2, type: 'RulesReviewSpec' } }),
    RulesReviewSpec: message({ namespace: { id: 1, type: 'string' } }),
  },
});

const MAGIC = Buffer.from('k8s\0', 'binary');
const DECODED_KINDS = ['SelfSubjectAccessReview', 'SelfSubjectRulesReview'];

/** The object in a Kubernetes protobuf body, as its JSON form; undefined for any kind other than the reviews. */
export function decodeKubernetesProtobuf(bytes: Buffer): Record<string, unknown> | undefined {
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const unknown = root.lookupType('Unknown').toObject(root.lookupType('Unknown').decode(bytes.subarray(MAGIC.length))) as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Uint8Array;
  };
  const kind = unknown.typeMeta?.kind ?? '';
  if (!DECODED_KINDS.includes(kind) || !unknown.raw) return undefined;
  const type = root.lookupType(kind);
  const object = type.toObject(type.decode(unknown.raw), { defaults: false }) as Record<string, unknown>;
  return { apiVersion: unknown.typeMeta?.apiVersion, kind, spec: object.spec ?? {} };
}
