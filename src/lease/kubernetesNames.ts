/**
 * Kubernetes' rules for object names (RFC 1123 subdomains) and namespaces (RFC 1123 labels), with
 * kube-apiserver's messages: the embedded server validates with them, and the adapters refuse a
 * lease no server would take before they send anything.
 */
const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const DNS_LABEL = new RegExp(`^${LABEL}$`);
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Every reason `name` cannot name an object (a Lease), as kube-apiserver lists them: too long, not a subdomain. */
export function objectNameProblems(name: string): string[] {
  return [...(name.length > 253 ? ['must be no more than 253 characters'] : []), ...(SUBDOMAIN.test(name) ? [] : [SUBDOMAIN_MESSAGE])];
}

/** Why `name` cannot name an object (a Lease), or undefined. */
export function objectNameProblem(name: string): string | undefined {
  return objectNameProblems(name)[0];
}

/** Why `namespace` cannot name a namespace, or undefined. */
export function namespaceProblem(namespace: string): string | undefined {
  return namespace.length > 63 || !DNS_LABEL.test(namespace) ? DNS_LABEL_MESSAGE : undefined;
}
