/** Every default in one place (units in comments). The example config and docs/config.md agree with these. */
export const DEFAULTS = {
  mode: 'enforce' as const,
  /** Transfers taking a counter to this share of its next uncovered threshold are flagged (a ratio). */
  alertLevel: 0.9,
  dataDir: './data',
  listen: {
    data: {
      host: '127.0.0.1',
      port: 8080,
      /** Open client connections at most (a count); past it a new connection is closed at once. */
      maxConnections: 10_000,
      /** Request line + headers, bytes (16 KiB, Node's own default); above it 431. */
      maxHeaderBytes: 16 * 1024,
      /** Time a client has to send the complete request headers, ms: slow clients (slowloris) are cut with 408. */
      headersTimeoutMs: 20_000,
      /** Time a client has to send the whole request, headers and body, ms (5 min: a 1 GiB body at ~4 MB/s). */
      requestTimeoutMs: 300_000,
      /** Idle time before a client's keep-alive connection is closed, ms: longer than the 60 s idle timeout of common load balancers. */
      keepAliveTimeoutMs: 65_000,
      /** On stop, in-flight transfers get this long to finish (and record their OUTCOME) before their connections are cut, ms. */
      drainTimeoutMs: 30_000,
    },
    admin: { host: '127.0.0.1', port: 9090 },
  },
  limits: {
    /** Bodies up to this many bytes (8 MiB) are held in memory; larger ones are spooled to a 0600 file under `<dataDir>/spool/<gatewayId>`. */
    memoryBytes: 8 * 1024 * 1024,
    /** Largest request body accepted at all, in bytes (1 GiB, spooled). Above it: 413 XB_BODY_TOO_LARGE while reading, never forwarded. */
    spoolBytes: 1024 * 1024 * 1024,
    /**
     * Largest body of a format that is parsed in memory (JSON, form, multipart, protobuf), in bytes
     * (16 MiB). Above it: 413 XB_BODY_TOO_LARGE_TO_INSPECT. NDJSON, CSV/TSV and text stream up to spoolBytes.
     */
    bodyBytes: 16 * 1024 * 1024,
    /** Largest body after undoing its Content-Encoding, in bytes (64 MiB); above it: 413, never forwarded. */
    decompressedBytes: 64 * 1024 * 1024,
    /** Largest decoded size ÷ size as received (a ratio, no unit); above it: 413 (a compression bomb). */
    maxRatio: 200,
    /** Most parts in a multipart/form-data body (a count); above it: 413. */
    multipartParts: 1000,
  },
  parse: {
    /** Records classified and identified together when a spooled body is inspected in a streaming pass (a count). */
    streamBatchRecords: 2_000,
    /** Read size of a spooled body, in bytes (1 MiB). */
    streamChunkBytes: 1024 * 1024,
    /** Largest header block of one multipart part, in bytes (16 KiB). */
    multipartHeaderBytes: 16 * 1024,
  },
  upstream: {
    /** TCP + TLS connect timeout, ms. */
    connectTimeoutMs: 5_000,
    /** Time to the upstream's response headers, ms. */
    headersTimeoutMs: 30_000,
    /** Idle time between body chunks, ms. */
    bodyTimeoutMs: 30_000,
  },
  store: {
    kind: 'embedded' as const,
    path: 'store' /* under dataDir */,
    /** Redis: the hash tag of every key is `{<keyPrefix>:<year>}`. */
    keyPrefix: 'xb',
    /** Redis: a command (one transfer's check-and-add) that takes longer fails the transfer with 503, ms. */
    timeoutMs: 2_000,
  },
  identity: { keyEnv: 'XB_HMAC_KEY', generatedKeyFile: 'hmac.key' /* under dataDir */ },
  admin: { tokenEnv: 'XB_ADMIN_TOKEN', generatedTokenFile: 'admin.token' /* under dataDir */ },
  evidence: {
    dir: 'evidence' /* under dataDir */,
    /** `always`: fsync before a transfer is forwarded; `interval`: fsync every `fsyncIntervalMs`. */
    fsync: 'always' as const,
    fsyncIntervalMs: 200,
    /** Segment size before rotation, in bytes (64 MiB); segments also rotate at each China-time day. */
    segmentBytes: 64 * 1024 * 1024,
    /** Years of evidence kept after the year recorded (a count): 3, the filings' validity. */
    retentionYears: 3,
    /** Ed25519 key for export bundles; generated on first export when absent (mode 0600). */
    generatedSigningKeyFile: 'evidence-signing.key' /* under dataDir */,
  },
  alerts: {
    /** Shares of a threshold's `min` at which a counter alert fires (ratios); 1 is the threshold itself. */
    levels: [0.5, 0.8, 0.9, 0.95, 1],
    /** Calendar days before a filing's `expires` at which an expiry alert fires. */
    filingDays: [90, 30, 7],
    /** Delivery retries per sink: first retry after initialMs (1 s), doubling to maxMs (5 min), given up after `attempts` sends. */
    retry: { initialMs: 1_000, maxMs: 300_000, attempts: 12 },
    /** One send (connect to last body byte) gives up after this many ms. */
    timeoutMs: 10_000,
    /** At most one store-failure alert per error code in this many ms (10 min). */
    storeFailureIntervalMs: 600_000,
    /** Fired keys and the pending-send queue: `<dataDir>/alerts/<gatewayId>.json`. */
    stateDir: 'alerts' /* under dataDir */,
  },
  proxy: {
    /** The forward-proxy listener (HTTP_PROXY / HTTPS_PROXY of clients). */
    listen: { host: '127.0.0.1', port: 3128 },
    /** Interception leaf certificates kept in memory (a count; least recently used evicted). */
    leafCacheSize: 1_000,
    /** Lifetime of a minted leaf, hours (renewed at half of it; never past the CA's own expiry). */
    leafLifetimeHours: 168,
    /** DNS wait when locating an unmatched host, ms; past it the host's jurisdiction is `unknown`. */
    resolveTimeoutMs: 2_000,
  },
  policy: { dir: './policy/packs' /* unset: the packs shipped in the package */ },
  company: { sensitivityProfile: 'gbt45574' as const, ciio: false },
  /** `accept` unset: every media type parse/ inspects; `csv.delimiter` applies to text/csv (TSV is a tab). */
  route: {
    recordRoot: '$',
    failMode: 'closed' as const,
    csv: { delimiter: ',' },
    /** Keep-alive pool per route origin: most connections (a count), idle close (ms). */
    pool: { connections: 32, keepAliveTimeoutMs: 4_000 },
    /** Extra attempts for an idempotent request none of whose bytes were sent (a count). */
    retries: 1,
    /** Every route crosses the border: the client's addresses and proxies are not passed on. */
    forwardedHeaders: 'strip' as const,
  },
} as const;
