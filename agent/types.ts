/**
 * The plain values the pipeline stages pass forward. Each type names what a value has been through:
 * Records (parsed) → Classified → Subjects (keyed; raw PI stops here) → CountResult → Decision.
 */
import type { Range } from './count/ranges.js';
import type { Detector } from './policy/schema.js';
import type { Rule } from './policy/types.js';

/** A request body as received: bytes plus what the client said about them. */
export interface Body {
  /** The body, when it was held in memory; empty when it was spooled. */
  readonly bytes: Buffer;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** Set when the body was larger than `limits.memoryBytes` and went to a spool file instead. */
  readonly spooled?: SpooledBody | undefined;
}

/** A body written to a private file (mode 0600) while it arrived; receive/ removes the file when the request ends. */
export interface SpooledBody {
  readonly file: string;
  /** Bytes as received. */
  readonly size: number;
  /** SHA-256 of the bytes as received, computed while spooling. */
  readonly sha256: Buffer;
}

/** parse → classify. */
export interface Records {
  readonly records: readonly unknown[];
}

/** One leaf value of a record that carries PI. */
export interface PiField {
  /** Field path with array indices, e.g. `shipper.phone`, `items[2].buyer.name`. */
  readonly path: string;
  /** The object path the field sits in (`shipper`, `` for the record's top level). */
  readonly parent: string;
  readonly dataItem: string;
  readonly subject: string | undefined;
  readonly identifies: string | undefined;
  /** Sensitive PI per the dictionary: always, or only under the strict profile. */
  readonly sensitive: 'always' | 'strict' | undefined;
  /**
   * How the field was recognised: its name, or a value detector in a field whose name says nothing
   * (a subject of its own). Values that the object's field names confirm — a precise pair in
   * `gpsLat`/`gpsLng`, an individual business's code beside the operator's name — are `field-name`:
   * they belong to the object's subject.
   */
  readonly via: 'field-name' | 'detector';
  /** The raw value. Only identify/ reads it; nothing after identify sees it. */
  readonly value: string;
}

export interface ClassifiedRecord {
  readonly fields: readonly PiField[];
}

/** An important-data indicator seen in the transfer: which domain's, which indicator, found how. */
export interface IndicatorHit {
  readonly domain: string;
  readonly indicator: string;
  /** `fingerprint`: a value the company registered as important data (`xborder fingerprints add`). */
  readonly via: 'field-name' | 'keyword' | 'fingerprint' | 'volume';
}

/**
 * Why a detector hit is only shown for review, never counted: `no-label` (a passport or permit
 * number with no label context), `order-context` (a Luhn-valid card number labelled as an order or
 * parcel number), `no-operator-name` (an individual business's credit code with no name beside it),
 * `outside-polygon` (precise coordinates in named fields, outside the China outline).
 */
export type FindingReason = 'no-label' | 'order-context' | 'no-operator-name' | 'outside-polygon';

/** A low-confidence detector hit: which detector, where, why. Never the value; never counted. */
export interface Finding {
  readonly detector: Detector;
  /** The data item it would have been. */
  readonly dataItem: string;
  /** The first field path it was seen at (`orders[3].remark`). */
  readonly path: string;
  readonly confidence: 'low';
  readonly reason: FindingReason;
  /** Hits at this field shape (path without indices) with the same finding, across the transfer. */
  readonly occurrences: number;
}

/** classify → identify. */
export interface Classified {
  readonly records: readonly ClassifiedRecord[];
  /** Every data item seen in the transfer, by id, sorted. */
  readonly dataItems: readonly string[];
  /** Important-data indicators seen, one entry per (domain, indicator). */
  readonly indicators: readonly IndicatorHit[];
  /** Low-confidence detector hits, one per (detector, field shape, reason), for review. classify always sets it. */
  readonly findings?: readonly Finding[];
  /** Precise locations inside China found (a volume indicator's measure); classify always sets it. */
  readonly preciseLocations?: number;
}

export type KeyBasis = 'resident-id' | 'passport' | 'phone' | 'email' | 'account' | 'quasi' | 'unlinkable';

export interface Subject {
  /** HMAC-SHA256 of the normalized strongest identifier, first 16 bytes. */
  readonly key: Buffer;
  readonly basis: KeyBasis;
  readonly dataItems: readonly string[];
  readonly sensitive: boolean;
}

/** identify → count. No raw PI past this point. */
export interface Subjects {
  readonly subjects: readonly Subject[];
  readonly dataItems: readonly string[];
  readonly indicators: readonly IndicatorHit[];
  readonly recordCount: number;
  /** Person occurrences, when `subjects` holds only distinct persons (a body inspected in batches); default subjects.length. */
  readonly subjectCount?: number;
}

/** One counter a transfer adds persons to, with the ranges it may not reach (uncovered obligations). */
export interface CountEntry {
  readonly counter: string;
  /** Distinct members (16-byte keys) of this transfer on this counter. */
  readonly members: readonly Buffer[];
  /** If the transfer reaches any of these (count/ranges.ts), the store adds nobody. */
  readonly blocked: readonly Range[];
}

export interface CounterDelta {
  readonly counter: string;
  readonly before: number;
  /** Persons new to the counter: added if admitted, would have been added if not. */
  readonly added: number;
  readonly after: number;
  /** Indices into CountResult.persons of this counter's members (for evidence and rebuild). */
  readonly persons: readonly number[];
}

/** count → decide. */
export interface CountResult {
  readonly year: number;
  /** False when a limit would have been exceeded: then nothing was added anywhere. */
  readonly admitted: boolean;
  readonly counters: readonly CounterDelta[];
  /** The transfer's distinct person keys; CounterDelta.persons index into it. */
  readonly persons: readonly Buffer[];
}

/** A rule that fired, as the 451 body, evidence and `classify` render it. */
export interface Citation {
  readonly regime: string;
  readonly list: string;
  readonly domain: string;
  readonly item: number;
  readonly obligation: Rule['obligation'];
  readonly counter: string;
  readonly threshold: string;
  readonly before: number;
  readonly added: number;
  /** Important-data rows: the indicators that triggered the item. */
  readonly indicators: readonly string[];
  readonly citation: string;
  /** Filing that covers the obligation, when one does. */
  readonly filing: string | undefined;
  /** Filing kinds that would discharge the obligation (none for core data): what would let the transfer pass. */
  readonly remedies?: readonly string[];
  /** The rule in one sentence, rendered once (decide/) for the 451 body, evidence and `classify`. */
  readonly summary?: string;
}

export type DecisionKind = 'allow' | 'flag' | 'block';

/** decide → record → forward. */
export interface Decision {
  readonly kind: DecisionKind;
  /** Rules that fired: uncovered ones for a block, covered or monitored ones otherwise. */
  readonly rules: readonly Citation[];
  /**
   * Machine-readable cause: `no-pi`, `within-thresholds`, `covered-by-filing`, `exempt`,
   * `threshold-uncovered`, `important-data`, `core-data`, `export-control`, `important-data-review`,
   * a notice code (an allowed transfer flagged for a notice), `uninspectable`, `over-limit`,
   * `store-unavailable`.
   */
  readonly reason: string;
  /** Monitor mode: what enforce mode would have done. Never a silent allow. */
  readonly enforceWouldBlock: boolean;
  /** What a compliance officer must look at beyond the rules (decide/notices.ts); any makes an allow a flag. */
  readonly notices?: readonly Notice[];
}

/**
 * Something to act on that is not a rule firing: a counter near its next threshold, a transfer
 * beyond what its filing declared (a material change), a route's exemption its content
 * contradicts, a filing in its renewal window or not filed in time.
 */
export interface Notice {
  readonly code: NoticeCode;
  /** One sentence a compliance officer can check. */
  readonly detail: string;
  /** The article the notice rests on. */
  readonly citation: string;
  readonly filing?: string;
  readonly counter?: string;
}

export type NoticeCode =
  | 'alert-level'
  | 'material-change'
  | 'exemption-contradicted'
  | 'filing-renewal-window'
  | 'filing-overdue'
  | 'holiday-calendar-unknown';
