/**
 * The policy pack schema (`xborder.pack/v1`): one source of truth for validation, the TypeScript
 * types and the docs. A pack is either a `list` (one published list: its domains, scenarios,
 * listed data items, counters and items) or a `dictionary` (data items that hold anywhere).
 */
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'lower-case id: letters, digits, dashes' });
const Text = Type.Object({ zh: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, { additionalProperties: false });

/** Value detectors (agent/classify/detectors/README.md says what each accepts). */
export const DETECTORS = [
  'resident-id',
  'mobile',
  'landline',
  'email',
  'bank-card',
  'bank-account',
  'passport',
  'travel-permit',
  'ip-address',
  'licence-plate',
  'coordinates',
  'uscc-92',
] as const;
/** What a data item's value says about who the person is (identify/ picks the strongest). */
export const IDENTIFIES = ['resident-id', 'passport', 'contact', 'account', 'name', 'address', 'gender', 'age'] as const;
/**
 * security-assessment: 数据出境安全评估; standard-contract-or-certification: 标准合同备案 or 个人信息保护认证;
 * ftz-filing: a zone's own filing (positive lists: listed data flows once filed; Fujian/Beijing 备案);
 * prohibited: may not leave through any mechanism (core data);
 * export-control: export-controlled items follow the Export Control Law, not these lists (a licence).
 */
export const OBLIGATIONS = ['security-assessment', 'standard-contract-or-certification', 'ftz-filing', 'prohibited', 'export-control'] as const;
export const REGIMES = ['cn-national', 'guangxi', 'fujian', 'jiangsu', 'beijing'] as const;
/** Which identifiers make a subject sensitive PI (regs/national-rules.md): `always`, or only under the strict gbt35273 profile. */
export const SENSITIVITY = ['always', 'strict'] as const;

const DataItem = Type.Object(
  {
    id: Id,
    name: Text,
    /** The person role the item belongs to (shipper, anchor…); fields of one role form one subject. */
    subject: Type.Optional(Id),
    identifies: Type.Optional(Type.Union(IDENTIFIES.map((v) => Type.Literal(v)))),
    /** Field names that carry the item, Chinese and English; matched ignoring case and `_ - . `. */
    fields: Type.Array(Type.String({ minLength: 1 })),
    /** Value detectors that find this item in any field, labelled or not. */
    detectors: Type.Optional(Type.Array(Type.Union(DETECTORS.map((v) => Type.Literal(v))))),
    /** Sensitive PI (PIPL Art. 28): always, or only under the strict profile (gbt35273). Absent: not sensitive. */
    sensitive: Type.Optional(Type.Union(SENSITIVITY.map((v) => Type.Literal(v)))),
    /** The PIPL Art. 28 category, for reports (biometrics, financial-accounts, whereabouts…). */
    category: Type.Optional(Id),
  },
  { additionalProperties: false },
);

/** An important-data indicator: field names and value keywords that suggest an item's data. */
const Indicator = Type.Object(
  {
    id: Id,
    name: Text,
    /** Field names, matched like data items' fields. */
    fields: Type.Array(Type.String({ minLength: 1 })),
    /** Words that, inside a string value, suggest the data (matched after NFKC, case-insensitive). */
    keywords: Type.Optional(Type.Array(Type.String({ minLength: 2 }))),
    /**
     * Volume: the transfer carries at least this many precise locations inside China (coordinates
     * as classify/ reads them: at least 4 decimal places, inside the mainland outline).
     */
    minPreciseLocations: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

const Scenario = Type.Object(
  { id: Id, zh: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

const Counter = Type.Object(
  {
    id: Id,
    /** limited: persons wholly inside a scope; general: all other PI; sensitive: sensitive PI. */
    kind: Type.Union([Type.Literal('limited'), Type.Literal('general'), Type.Literal('sensitive')]),
    scope: Type.Optional(
      Type.Object({ scenarios: Type.Array(Id, { minItems: 1 }), dataItems: Type.Array(Id, { minItems: 1 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Persons held (not sent) from which data becomes important data (the reference rules' unified
 * rules 2-3: 10M PI, 1M sensitive, 100k with accounts or medical data; a CIIO's 100k).
 */
const Floor = Type.Object(
  {
    held: Type.Union([
      Type.Literal('personal-information'),
      Type.Literal('sensitive'),
      Type.Literal('accounts-or-medical'),
    ]),
    min: Type.Integer({ minimum: 1 }),
    ciioOnly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Persons on `counter` in [min, max): min inclusive, max exclusive (absent: unbounded). */
const Threshold = Type.Object(
  {
    counter: Id,
    min: Type.Integer({ minimum: 1 }),
    max: Type.Optional(Type.Integer({ minimum: 2 })),
  },
  { additionalProperties: false },
);

const Item = Type.Object(
  {
    number: Type.Integer({ minimum: 1 }),
    kind: Type.Union([Type.Literal('personal-information'), Type.Literal('important-data')]),
    obligation: Type.Union(OBLIGATIONS.map((v) => Type.Literal(v))),
    /** 'all', a list of scenario ids, or every scenario except those of the named items. */
    scenarios: Type.Union([
      Type.Literal('all'),
      Type.Array(Id, { minItems: 1 }),
      Type.Object({ except: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }) }, { additionalProperties: false }),
    ]),
    dataItems: Type.Optional(Type.Array(Id, { minItems: 1 })),
    /** Free-text description for category-style rows (数据基本特征与描述), as published. */
    characteristics: Type.Optional(Text),
    /** What the row excludes ("但不包括…"), as published. */
    exclusions: Type.Optional(Type.Array(Text, { minItems: 1 })),
    /** Any one threshold reached triggers the item ("…或…"). */
    thresholds: Type.Optional(Type.Array(Threshold, { minItems: 1 })),
    /** Important-data rows: the domain's indicators that find this item's data; any one triggers it. */
    indicators: Type.Optional(Type.Array(Id, { minItems: 1 })),
    /** What an indicator hit does: block (the obligation applies) or review (flag for a person to judge). */
    onIndicator: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('review')])),
    /** Important-data rows that depend on persons held, not sent. */
    floors: Type.Optional(Type.Array(Floor, { minItems: 1 })),
    /** Whose transfers the item governs: CIIOs only (Order 16 Art. 7(1)), everyone else, or (absent) all. */
    companies: Type.Optional(Type.Union([Type.Literal('ciio'), Type.Literal('non-ciio')])),
    citation: Type.String({ minLength: 1 }),
    text: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

const Domain = Type.Object(
  {
    id: Id,
    number: Type.Integer({ minimum: 1 }),
    name: Text,
    citation: Type.String({ minLength: 1 }),
    /** The scenarios the domain's list names, or `any` (the national rules; category-style lists). */
    scenarios: Type.Union([Type.Array(Scenario, { minItems: 1 }), Type.Literal('any')]),
    dataItems: Type.Array(DataItem),
    indicators: Type.Optional(Type.Array(Indicator)),
    /**
     * Positive lists: where PI outside the listed items counts (`list/domain`, e.g.
     * `cn-national/national`); the domain then has no general or sensitive counter of its own.
     */
    fallback: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+/[a-z0-9-]+$' })),
    counters: Type.Array(Counter),
    items: Type.Array(Item, { minItems: 1 }),
  },
  { additionalProperties: false },
);

const List = Type.Object(
  {
    id: Id,
    title: Text,
    version: Type.String({ minLength: 1 }),
    batch: Type.Optional(Type.Integer({ minimum: 1 })),
    /**
     * When the list took effect: a date (China time), or `on-publication` where the text says
     * 自发布之日起施行 and the publication date is not part of the published text.
     */
    effective: Type.Optional(Type.Union([Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), Type.Literal('on-publication')])),
    polarity: Type.Union([Type.Literal('negative'), Type.Literal('positive')]),
    source: Type.Object({ document: Type.String({ minLength: 1 }), file: Type.Optional(Type.String()) }, { additionalProperties: false }),
    /** Do persons sent under an exemption count toward this list's thresholds? */
    exemptPersonsCount: Type.Boolean(),
    /**
     * routes (default): applies to routes that name one of its domains. every-transfer: applies to
     * every transfer of a company in the pack's regime (the important-data reference rules).
     */
    appliesTo: Type.Optional(Type.Union([Type.Literal('routes'), Type.Literal('every-transfer')])),
  },
  { additionalProperties: false },
);

/** What a zone's management measures say about lists, filings and reporting. */
const Regime = Type.Object(
  {
    name: Text,
    measures: Type.Object({ document: Type.String({ minLength: 1 }), file: Type.Optional(Type.String()) }, { additionalProperties: false }),
    /** Lists the zone publishes for its companies (list ids). */
    lists: Type.Array(Id),
    /** May a company adopt another FTZ's published list? `with-approval`: only with an approval reference in the config. */
    adoption: Type.Union([Type.Literal('allowed'), Type.Literal('with-approval'), Type.Literal('not-allowed')]),
    adoptionCitation: Type.String({ minLength: 1 }),
    filing: Type.Optional(
      Type.Object(
        {
          validityYears: Type.Optional(Type.Integer({ minimum: 1 })),
          renewalWindowWorkingDays: Type.Optional(Type.Integer({ minimum: 1 })),
          materialChangeRefiling: Type.Optional(Type.Boolean()),
          citation: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
    reporting: Type.Optional(
      Type.Object(
        {
          incidentReportHours: Type.Optional(Type.Integer({ minimum: 1 })),
          /** "及时"/"立即": report at once, no fixed hours. */
          incidentReportPromptly: Type.Optional(Type.Boolean()),
          stopTransfersOnIncident: Type.Optional(Type.Boolean()),
          halfYearlyReport: Type.Optional(Type.Boolean()),
          citation: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PackSchema = Type.Object(
  {
    schema: Type.Literal('xborder.pack/v1'),
    id: Id,
    kind: Type.Union([Type.Literal('list'), Type.Literal('dictionary'), Type.Literal('regime')]),
    regime: Type.Union(REGIMES.map((v) => Type.Literal(v))),
    list: Type.Optional(List),
    dataItems: Type.Optional(Type.Array(DataItem)),
    domains: Type.Optional(Type.Array(Domain)),
    rules: Type.Optional(Regime),
  },
  { additionalProperties: false },
);

/** The schema as a JSON Schema document (policy/pack.schema.json, for editors and other tools). */
export const packJsonSchema = (): string =>
  `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', $id: 'urn:xborder:pack:v1', title: 'xborder policy pack (xborder.pack/v1)', ...PackSchema }, null, 2)}\n`;

export type RawPack = Static<typeof PackSchema>;
export type PackDataItem = Static<typeof DataItem>;
export type PackDomain = Static<typeof Domain>;
export type PackItem = Static<typeof Item>;
export type PackThreshold = Static<typeof Threshold>;
export type PackIndicator = Static<typeof Indicator>;
export type PackRegime = Static<typeof Regime>;
export type Regime = (typeof REGIMES)[number];
export type Obligation = (typeof OBLIGATIONS)[number];
export type Detector = (typeof DETECTORS)[number];
export type Identifies = (typeof IDENTIFIES)[number];
