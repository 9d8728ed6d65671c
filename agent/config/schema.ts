/**
 * The `xborder.yaml` schema: one schema, one validator (load.ts), used by start, reload, lint and
 * tests. Unknown keys are errors. Secrets are never inline: files or environment variables only.
 */
import { Type, type Static } from '@sinclair/typebox';
import { REGIMES } from '../policy/schema.js';
import { CallerSchema } from '../pull/schema.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const Listen = Type.Object(
  { host: Type.Optional(Type.String({ minLength: 1 })), port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })) },
  { additionalProperties: false },
);
/** The data plane's listener, with its connection limits and timeouts (docs/proxy-limits.md). */
const DataListen = Type.Object(
  {
    host: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    maxConnections: Type.Optional(Type.Integer({ minimum: 1 })),
    maxHeaderBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1048576 })),
    headersTimeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
    requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
    keepAliveTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    drainTimeoutMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
const MEDIA_TYPE = '^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$';
/** Exemption bases of the national rules (CAC Order 16 Arts. 3, 4, 5(1)-(3)), by their names in DESIGN. */
export const EXEMPTIONS = ['non-pi-trade-data', 'collected-abroad', 'contract-necessity', 'hr-management', 'emergency'] as const;
export type Exemption = (typeof EXEMPTIONS)[number];

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date, YYYY-MM-DD (China time)' });

const Route = Type.Object(
  {
    id: Id,
    upstream: Type.String({ pattern: '^https?://', description: 'http(s) origin and optional base path' }),
    /** push routes: who receives the data. Pull routes name their recipients as `callers` instead. */
    recipient: Type.Optional(
      Type.Object(
        { name: Type.String({ minLength: 1 }), country: Type.String({ pattern: '^[A-Z]{2}$' }) },
        { additionalProperties: false },
      ),
    ),
    /**
     * push (default): request bodies going abroad are inspected. pull: the route fronts a domestic
     * API for overseas callers and its responses are inspected (agent/pull/, docs/pull-mode.md).
     */
    direction: Type.Optional(Type.Union([Type.Literal('push'), Type.Literal('pull')])),
    /** pull: the overseas callers, each the recipient of what it pulls. */
    callers: Type.Optional(Type.Array(CallerSchema, { minItems: 1 })),
    /** pull: the header carrying a caller's API key (lower case); default x-api-key. */
    callerHeader: Type.Optional(Type.String({ pattern: '^[a-z0-9!#$%&\'*+.^_`|~-]+$' })),
    /** `list/domain` of a loaded pack, e.g. `guangxi-2025/live-commerce`. */
    domain: Type.String({ pattern: '^[a-z0-9-]+/[a-z0-9-]+$' }),
    scenario: Type.String({ minLength: 1 }),
    /** Media types the route takes (`text/csv`, `multipart/form-data`, …); unset: every type parse/ inspects. */
    accept: Type.Optional(Type.Array(Type.String({ pattern: MEDIA_TYPE, description: 'a media type, type/subtype, lower case' }), { minItems: 1 })),
    csv: Type.Optional(
      Type.Object(
        {
          /** One character; default `,`. TSV bodies are always tab-separated. */
          delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
          /** Charset of CSV bodies whose Content-Type declares none; default: detected. */
          charset: Type.Optional(Type.Union([Type.Literal('utf-8'), Type.Literal('gbk'), Type.Literal('gb18030')])),
        },
        { additionalProperties: false },
      ),
    ),
    /** The message of `application/x-protobuf` bodies: `.proto` files (relative to this file) and the message type. */
    protobuf: Type.Optional(
      Type.Object(
        {
          files: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
          messageType: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$', description: 'a full message name, e.g. pkg.Msg' }),
        },
        { additionalProperties: false },
      ),
    ),
    /** `$` (the body: an object is one record, an array is records) or `$.a.b[*]`. */
    recordRoot: Type.Optional(Type.String({ pattern: '^\\$(\\.[^.\\[\\]]+)*(\\[\\*\\])?$' })),
    /** closed (default): an uninspectable body is refused; open: forwarded and flagged. */
    failMode: Type.Optional(Type.Union([Type.Literal('closed'), Type.Literal('open')])),
    /**
     * The national rules' exemption this route's transfers rely on (CAC Order 16): Art. 3
     * non-pi-trade-data, Art. 4 collected-abroad, Art. 5(1) contract-necessity, Art. 5(2)
     * hr-management, Art. 5(3) emergency. decide/exemptions.ts.
     */
    exemption: Type.Optional(Type.Union(EXEMPTIONS.map((e) => Type.Literal(e)))),
    /**
     * Forward-proxy mode (agent/proxy/, docs/proxy.md): the hosts (`api.x.com`, `*.x.com`, IP
     * literals) and path prefix whose proxied requests this route inspects; default: the
     * upstream's host and base path.
     */
    match: Type.Optional(
      Type.Object(
        {
          hosts: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
          pathPrefix: Type.Optional(Type.String({ pattern: '^/' })),
        },
        { additionalProperties: false },
      ),
    ),
    /** TLS to an `https://` upstream (agent/forward/settings.ts): PEM files, relative to this file. */
    upstreamTls: Type.Optional(
      Type.Object(
        {
          /** CA bundle trusted instead of Node's bundled roots. */
          ca: Type.Optional(Type.String({ minLength: 1 })),
          /** Client certificate (chain) and its unencrypted key, for upstreams that require mutual TLS; both or neither. */
          cert: Type.Optional(Type.String({ minLength: 1 })),
          key: Type.Optional(Type.String({ minLength: 1 })),
          /** SNI name and the name the upstream certificate must carry; default the URL's host. */
          servername: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$', description: 'a DNS host name' })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Per-route upstream timeouts; each unset one is the global `upstream` one. */
    timeouts: Type.Optional(
      Type.Object(
        {
          connectMs: Type.Optional(Type.Integer({ minimum: 1 })),
          headersMs: Type.Optional(Type.Integer({ minimum: 1 })),
          bodyMs: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Largest request body on this route, bytes (at most `limits.spoolBytes`); above it 413 XB_BODY_TOO_LARGE. */
    limits: Type.Optional(Type.Object({ maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false })),
    /** The keep-alive pool to this route's origin. */
    pool: Type.Optional(
      Type.Object(
        {
          connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
          keepAliveTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Extra attempts for an idempotent request (PUT, …) none of whose bytes were sent; never POST or PATCH. */
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
    /** x-forwarded-for, forwarded, x-real-ip, via, …: strip (default), pass as received, or append the client's address. */
    forwardedHeaders: Type.Optional(Type.Union([Type.Literal('strip'), Type.Literal('pass'), Type.Literal('append')])),
  },
  { additionalProperties: false },
);

const Filing = Type.Object(
  {
    id: Id,
    kind: Type.Union([
      Type.Literal('security-assessment'),
      Type.Literal('standard-contract'),
      Type.Literal('certification'),
      Type.Literal('ftz-filing'),
      Type.Literal('export-licence'),
    ]),
    covers: Type.Object(
      {
        list: Type.String({ minLength: 1 }),
        domains: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        items: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 })),
        recipients: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
      },
      { additionalProperties: false },
    ),
    effective: Day,
    expires: Day,
    /** Standard contract: the day it was filed with the provincial CAC (due within 10 working days of `effective`, Order 13 Art. 7). */
    filedOn: Type.Optional(Day),
    /** What the filing declared: transfers beyond it are a material change needing a new filing (flagged). */
    declared: Type.Optional(
      Type.Object(
        {
          scenarios: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
          dataItems: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
          recipients: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
          maxPersons: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const HostPort = Type.String({ pattern: '^[^\\s:]+:[0-9]{1,5}$' });

const SecretSource = Type.Object(
  {
    /** File holding the secret (mode 0600 recommended). */
    file: Type.Optional(Type.String({ minLength: 1 })),
    /** Environment variable holding the secret. */
    env: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
  },
  { additionalProperties: false },
);

/** Where alerts go (agent/alerts/, docs/alerts.md): a generic JSON webhook or a WeCom, DingTalk or Feishu group robot. */
const AlertSink = Type.Object(
  {
    kind: Type.Union([Type.Literal('webhook'), Type.Literal('wecom'), Type.Literal('dingtalk'), Type.Literal('feishu')]),
    /** Names the sink in logs and in the pending queue; default `<kind>-<index>`. */
    id: Type.Optional(Id),
    /** The endpoint, or where to read it: a robot's URL carries its access token (a secret). */
    url: Type.Union([Type.String({ minLength: 1 }), SecretSource]),
    /** Signing secret: DingTalk 加签, Feishu 签名校验, webhook HMAC header; WeCom robots have none. */
    secret: Type.Optional(SecretSource),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    company: Type.Object(
      {
        name: Type.String({ minLength: 1 }),
        regime: Type.Union(REGIMES.map((v) => Type.Literal(v))),
        ciio: Type.Optional(Type.Boolean()),
        sensitivityProfile: Type.Optional(Type.Union([Type.Literal('gbt45574'), Type.Literal('gbt35273')])),
        /**
         * Other FTZs' published lists the company applies by reference (Guangxi list 说明十二: 可参照执行).
         * Beijing allows it only after review: `approval` names the approval document.
         */
        adoptedLists: Type.Optional(
          Type.Array(
            Type.Object({ list: Type.String({ minLength: 1 }), approval: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false }),
          ),
        ),
        /**
         * Persons whose PI the company holds (not sends), for the important-data rules on holdings
         * (e.g. Beijing unified rules 2-3: 10M PI, 1M sensitive, 100k with accounts or medical data).
         */
        personsHeld: Type.Optional(
          Type.Object(
            {
              personalInformation: Type.Optional(Type.Integer({ minimum: 0 })),
              sensitive: Type.Optional(Type.Integer({ minimum: 0 })),
              accountsOrMedical: Type.Optional(Type.Integer({ minimum: 0 })),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    mode: Type.Optional(Type.Union([Type.Literal('enforce'), Type.Literal('monitor')])),
    /** Share of a counter's next uncovered threshold at which transfers are flagged (alert level); default 0.9. */
    alertLevel: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    gatewayId: Type.Optional(Id),
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    listen: Type.Optional(Type.Object({ data: Type.Optional(DataListen), admin: Type.Optional(Listen) }, { additionalProperties: false })),
    limits: Type.Optional(
      Type.Object(
        {
          memoryBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          spoolBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          bodyBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          decompressedBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          maxRatio: Type.Optional(Type.Number({ minimum: 1 })),
          multipartParts: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    upstream: Type.Optional(
      Type.Object(
        {
          connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
          headersTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
          bodyTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    store: Type.Optional(
      Type.Object(
        {
          kind: Type.Union([Type.Literal('embedded'), Type.Literal('redis')]),
          /** embedded: folder of the LMDB files. */
          path: Type.Optional(Type.String({ minLength: 1 })),
          /** redis, one of url | cluster | sentinel. */
          url: Type.Optional(Type.String({ pattern: '^rediss?://' })),
          cluster: Type.Optional(Type.Array(HostPort, { minItems: 1 })),
          sentinel: Type.Optional(
            Type.Object({ name: Type.String({ minLength: 1 }), sentinels: Type.Array(HostPort, { minItems: 1 }) }, { additionalProperties: false }),
          ),
          password: Type.Optional(SecretSource),
          keyPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' })),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
          waitReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    identity: Type.Optional(Type.Object({ key: Type.Optional(SecretSource) }, { additionalProperties: false })),
    admin: Type.Optional(Type.Object({ token: Type.Optional(SecretSource) }, { additionalProperties: false })),
    evidence: Type.Optional(
      Type.Object(
        {
          dir: Type.Optional(Type.String({ minLength: 1 })),
          fsync: Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('interval')])),
          fsyncIntervalMs: Type.Optional(Type.Integer({ minimum: 1 })),
          /** A segment file is closed and a new one begun past this size, and at each China-time day. */
          segmentBytes: Type.Optional(Type.Integer({ minimum: 4096 })),
          /** Years of evidence kept after the year it records (default 3); older segments are removed. */
          retentionYears: Type.Optional(Type.Integer({ minimum: 1 })),
          /** Ed25519 private key (PEM, PKCS#8) that signs `evidence export` bundles. */
          signingKey: Type.Optional(Type.Object({ file: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
    policy: Type.Optional(Type.Object({ dir: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })),
    /** Forward-proxy mode: a second listener for absolute-form and CONNECT requests (agent/proxy/, docs/proxy.md). Unset: off. */
    proxy: Type.Optional(
      Type.Object(
        {
          listen: Type.Optional(Listen),
          /** Hosts proxied untouched, not inspected (`*.x.com` patterns allowed): trusted by config. */
          passthrough: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** Hosts that pin certificates: never intercepted; a CONNECT to one is tunneled if passthrough, else refused. */
          tunnelOnly: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** The company CA that signs interception leaves: PEM files, relative to this file. Unset: CONNECT to a routed host is refused. */
          ca: Type.Optional(Type.Object({ cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
          /** Leaf certificates kept (a count) and their lifetime (hours). */
          leafCacheSize: Type.Optional(Type.Integer({ minimum: 1 })),
          leafLifetimeHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 8760 })),
          /** Longest DNS wait when locating an unmatched host, ms. */
          resolveTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    routes: Type.Array(Route, { minItems: 1 }),
    filings: Type.Optional(Type.Array(Filing)),
    alerts: Type.Optional(
      Type.Object(
        {
          /** Shares of a threshold's `min` at which a counter alert fires, each in (0, 1]. */
          levels: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 1 }), { minItems: 1 })),
          /** Calendar days before a filing's `expires` at which an expiry alert fires. */
          filingDays: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 })),
          sinks: Type.Optional(Type.Array(AlertSink)),
          retry: Type.Optional(
            Type.Object(
              {
                initialMs: Type.Optional(Type.Integer({ minimum: 10 })),
                maxMs: Type.Optional(Type.Integer({ minimum: 10 })),
                attempts: Type.Optional(Type.Integer({ minimum: 1 })),
              },
              { additionalProperties: false },
            ),
          ),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
          storeFailureIntervalMs: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type RawConfig = Static<typeof ConfigSchema>;
export type RawRoute = Static<typeof Route>;
export type RawFiling = Static<typeof Filing>;
export type SecretSourceConfig = Static<typeof SecretSource>;
export type RawAlertSink = Static<typeof AlertSink>;
