/**
 * The policy pack schema (`xborder.pack/v1`): one source of truth for validation, the TypeScript
 * types and the docs. A pack is either a `list` (one published list: its domains, scenarios,
 * listed data items, counters and items) or a `dictionary` (data items that hold anywhere).
 */
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'lower-case id: letters, digits, dashes' });
const Text = Type.Object({ zh: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, { additionalProperties: false });

export const DETECTORS = ['resident-id', 'mobile'] as const;
/** What a data item's value says about who the person is (identify/ picks the strongest). */
export const IDENTIFIES = ['resident-id', 'contact', 'name', 'address', 'gender', 'age'] as const;
export const OBLIGATIONS = ['security-assessment', 'standard-contract-or-certification', 'prohibited'] as const;

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
    characteristics: Type.Optional(Text),
    /** Any one threshold reached triggers the item ("…或…"). */
    thresholds: Type.Array(Threshold, { minItems: 1 }),
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
    scenarios: Type.Array(Scenario, { minItems: 1 }),
    dataItems: Type.Array(DataItem),
    counters: Type.Array(Counter, { minItems: 1 }),
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
    polarity: Type.Union([Type.Literal('negative'), Type.Literal('positive')]),
    source: Type.Object({ document: Type.String({ minLength: 1 }), file: Type.Optional(Type.String()) }, { additionalProperties: false }),
    /** Do persons sent under an exemption count toward this list's thresholds? */
    exemptPersonsCount: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const PackSchema = Type.Object(
  {
    schema: Type.Literal('xborder.pack/v1'),
    id: Id,
    kind: Type.Union([Type.Literal('list'), Type.Literal('dictionary')]),
    regime: Type.Union(['cn-national', 'guangxi', 'fujian', 'jiangsu', 'beijing'].map((v) => Type.Literal(v))),
    list: Type.Optional(List),
    dataItems: Type.Optional(Type.Array(DataItem)),
    domains: Type.Optional(Type.Array(Domain)),
  },
  { additionalProperties: false },
);

export type RawPack = Static<typeof PackSchema>;
export type PackDataItem = Static<typeof DataItem>;
export type PackDomain = Static<typeof Domain>;
export type PackItem = Static<typeof Item>;
export type PackThreshold = Static<typeof Threshold>;
export type Obligation = (typeof OBLIGATIONS)[number];
export type Detector = (typeof DETECTORS)[number];
export type Identifies = (typeof IDENTIFIES)[number];
