/**
 * Turns what @kubernetes/client-node throws into leasehold's typed errors: `ApiException` (with the
 * Status body as raw text), undici's network errors (its fetch, which watches use, says only "fetch
 * failed" and keeps the reason in `cause`), and aborts.
 */
import {
  LeaseAlreadyExistsError,
  LeaseConflictError,
  LeaseForbiddenError,
  LeaseInvalidError,
  LeaseNotFoundError,
  LeaseUnavailableError,
  LeaseholdError,
  type LeaseErrorContext,
} from '../lease/errors.js';

interface StatusBody {
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

function parseStatus(body: unknown): StatusBody {
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  if (typeof body !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as StatusBody) : {};
  } catch {
    return { message: body.slice(0, 200) };
  }
}

/** The verb a Role must grant for each call, named in 403 hints. */
export type KubernetesVerb = 'get' | 'list' | 'watch' | 'create' | 'update';

export function toLeaseError(error: unknown, verb: KubernetesVerb, context: LeaseErrorContext & { namespace: string }): Error {
  if (error instanceof LeaseholdError) return error;
  // ApiException carries `code`; client-node's Watch reports a refused watch with `statusCode`.
  const fields = typeof error === 'object' && error !== null ? (error as { code?: unknown; statusCode?: unknown }) : {};
  const code = typeof fields.code === 'number' ? fields.code : fields.statusCode;
  // A DOMException (an abort, client-node's watch timeout) has a numeric `code` too, but no HTTP status.
  if (typeof code === 'number' && !(error instanceof DOMException)) {
    // A refused watch has no body, only the Error's message (the HTTP status text).
    const status = parseStatus((error as { body?: unknown }).body ?? (error instanceof Error ? error.message : undefined));
    const message = status.message ?? `HTTP ${code}`;
    switch (code) {
      case 404:
        return new LeaseNotFoundError(message, context);
      case 409:
        return status.reason === 'AlreadyExists'
          ? new LeaseAlreadyExistsError(message, context)
          : new LeaseConflictError(message, context);
      case 400:
      case 422: {
        const causes = (status.details?.causes ?? []).map((c) => (c.field ? `${c.field}: ${c.message ?? c.reason}` : String(c.message)));
        return new LeaseInvalidError(message, context, causes);
      }
      case 401:
        return new LeaseForbiddenError(message, context, 'the API server rejected the credentials (check the kubeconfig token or client certificate)');
      case 403:
        return new LeaseForbiddenError(
          message,
          context,
          `grant the verb "${verb}" on leases.coordination.k8s.io in namespace ${context.namespace} (see deploy/rbac.yaml)`,
        );
      default:
        if (code === 429 || code >= 500) return new LeaseUnavailableError(`${verb}: ${message}`, context);
        return new LeaseInvalidError(`${verb}: unexpected HTTP ${code}: ${message}`, context);
    }
  }
  return new LeaseUnavailableError(`${verb}: the Kubernetes API is unreachable: ${networkFailure(error)}`, context);
}

/** undici says only "fetch failed" and keeps the reason (ECONNREFUSED, a TLS failure) in `cause`. */
function networkFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
}
