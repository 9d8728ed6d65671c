/**
 * The error catalogue: every failure xborder reports has a stable `XB_<AREA>_<WHAT>` code, an HTTP
 * status and a problem `type`. Codes are never reused; match on `err.code`, never on the message.
 * `docs/errors.md` lists the same codes (test/unit/errors.test.ts keeps the two in step).
 */

export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
}

export const ERRORS = {
  XB_CFG_NOT_FOUND: { status: 500, title: 'Config file not found' },
  XB_CFG_INVALID: { status: 500, title: 'Config is invalid' },
  XB_POLICY_INVALID: { status: 500, title: 'Policy pack is invalid' },
  XB_KEY_INVALID: { status: 500, title: 'Identity key is missing or malformed' },
  XB_ROUTE_NOT_FOUND: { status: 404, title: 'No route with this id' },
  XB_ROUTE_PATH_INVALID: { status: 400, title: "Path leaves the route's upstream" },
  XB_BODY_TOO_LARGE: { status: 413, title: 'Body exceeds the configured limit' },
  XB_BODY_TOO_LARGE_TO_INSPECT: { status: 413, title: 'Body is too large to inspect in its format' },
  XB_BODY_UNSUPPORTED_TYPE: { status: 415, title: 'Content type cannot be inspected on this route' },
  XB_BODY_ENCODED: { status: 415, title: 'Content-Encoding is not supported' },
  XB_BODY_DECOMPRESSED_TOO_LARGE: { status: 413, title: 'Decompressed body exceeds the configured limit' },
  XB_BODY_TOO_MANY_PARTS: { status: 413, title: 'Multipart body has more parts than the configured limit' },
  XB_BODY_TYPE_MISMATCH: { status: 415, title: 'Body is not of its declared content type' },
  XB_PARSE_INVALID_JSON: { status: 400, title: 'Body is not valid JSON' },
  XB_PARSE_ENCODING_INVALID: { status: 400, title: 'Body does not decode as its Content-Encoding says' },
  XB_PARSE_CSV_INVALID: { status: 400, title: 'Body is not valid CSV' },
  XB_PARSE_FORM_INVALID: { status: 400, title: 'Body is not a valid URL-encoded form' },
  XB_PARSE_MULTIPART_INVALID: { status: 400, title: 'Body is not valid multipart/form-data' },
  XB_PARSE_PROTOBUF_INVALID: { status: 400, title: 'Body does not decode as the route’s protobuf message' },
  XB_PARSE_TEXT_INVALID: { status: 400, title: 'Text body does not decode in its charset' },
  XB_PARSE_TOO_DEEP: { status: 400, title: 'Body nests too deeply to inspect' },
  XB_PARSE_RECORD_ROOT: { status: 400, title: 'Record root not found in body' },
  XB_DECISION_BLOCKED: { status: 451, title: 'Transfer needs a filing the company does not have' },
  XB_STORE_UNAVAILABLE: { status: 503, title: 'Counter store is unavailable' },
  XB_STORE_KEY_MISMATCH: { status: 500, title: 'Identity key differs from the one this year was counted with' },
  XB_STORE_LOST: { status: 503, title: 'Counter store lost this year\'s counts; rebuild them from evidence' },
  XB_REPLICA_KEY_MISMATCH: { status: 500, title: 'Identity key differs from the one the running replicas use' },
  XB_EVIDENCE_WRITE_FAILED: { status: 503, title: 'Evidence could not be written' },
  XB_EVIDENCE_CHAIN_BROKEN: { status: 500, title: 'Evidence chain does not verify' },
  XB_UPSTREAM_UNREACHABLE: { status: 502, title: 'Upstream could not be reached' },
  XB_UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream did not answer in time' },
  XB_REQUEST_MALFORMED: { status: 400, title: 'Request is not valid HTTP/1.1' },
  XB_REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'Request headers exceed the configured limit' },
  XB_REQUEST_TIMEOUT: { status: 408, title: 'Request was not received in time' },
  XB_PULL_CALLER_UNKNOWN: { status: 401, title: 'Pull route: the caller is not identified' },
  XB_PULL_CALLER_FORBIDDEN: { status: 403, title: 'Pull route: the caller’s credentials match no configured caller' },
  XB_PULL_RESPONSE_TOO_LARGE: { status: 502, title: 'Pull route: the upstream response exceeds the configured limit' },
  XB_PROXY_HOST_NOT_ROUTED: { status: 403, title: 'Forward proxy: no route covers this host and it is not passthrough' },
  XB_PROXY_CROSS_BORDER_NOT_ROUTED: { status: 403, title: 'Forward proxy: a host outside the mainland that no route covers' },
  XB_PROXY_PATH_NOT_ROUTED: { status: 403, title: 'Forward proxy: the host belongs to a route but no route covers this path' },
  XB_PROXY_TUNNEL_REFUSED: { status: 403, title: 'Forward proxy: a CONNECT tunnel to this host would hide what a route must inspect' },
  XB_PROXY_BAD_REQUEST: { status: 400, title: 'Forward proxy: not an absolute-form or CONNECT request it can serve' },
  XB_PROXY_CA_INVALID: { status: 500, title: 'Forward proxy: the interception CA certificate or key is unusable' },
  XB_ADMIN_UNAUTHORIZED: { status: 401, title: 'Admin token missing or wrong' },
  XB_ADMIN_NOT_FOUND: { status: 404, title: 'No such admin endpoint' },
  XB_ADMIN_RELOAD_REFUSED: { status: 422, title: 'Reload refused; the running config and policy are kept' },
  XB_ADMIN_INVALID_REQUEST: { status: 400, title: 'Admin request is missing a field or has an invalid one' },
  XB_ADMIN_STATE_WRITE_FAILED: { status: 500, title: 'Emergency-stop state could not be saved' },
  XB_EMERGENCY_STOP: { status: 503, title: 'Transfers are halted by an emergency stop' },
  XB_EVIDENCE_LOCKED: { status: 500, title: 'Evidence chain is in use by another process' },
  XB_EVIDENCE_EXPORT_NOT_EMPTY: { status: 500, title: 'Evidence export folder exists and is not empty' },
  XB_EVIDENCE_SIGNING_KEY_INVALID: { status: 500, title: 'Evidence signing key is missing, unreadable or not Ed25519' },
  XB_EVIDENCE_BUNDLE_INVALID: { status: 500, title: 'Evidence bundle does not verify' },
  XB_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Problem `type` URI for a code (RFC 9457); stable because codes are. */
export const problemType = (code: ErrorCode): string => `urn:xborder:problem:${code}`;

export class XbError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra, PI-free fields for the problem body and the log line. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'XbError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

export const isXbError = (err: unknown): err is XbError => err instanceof XbError;

/** Any thrown value as an XbError; unknown faults become XB_INTERNAL with the cause kept. */
export function toXbError(err: unknown): XbError {
  if (isXbError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new XbError('XB_INTERNAL', message, undefined, { cause: err });
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  /** Always present; null when the failure came before a transfer id was assigned. */
  transferId: string | null;
  [extra: string]: unknown;
}

/** The one mapping from a failure to its `application/problem+json` body. */
export function toProblem(err: XbError, transferId: string | undefined): Problem {
  return {
    type: problemType(err.code),
    title: ERRORS[err.code].title,
    status: err.status,
    code: err.code,
    detail: err.message,
    transferId: transferId ?? null,
    ...err.details,
  };
}
