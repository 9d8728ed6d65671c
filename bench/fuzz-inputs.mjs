// Fuzz inputs for the data plane (bench/fuzz.mjs, test/e2e/fuzz.test.ts): deterministic from a
// seed. Each input is { route, headers, body, kind }: a seed body (the labelled corpus in
// test/fixtures/corpus/files, valid shipments in every text format, random bytes) with mutations
// stacked on it — bit flips, byte overwrites, truncation, splices of two seeds, inserted hostile
// tokens (NUL, \u0000, __proto__, repeated keys, deep nesting, quotes, boundaries), a
// Content-Encoding applied (gzip, deflate, br, stacked, sometimes then cut or flipped), and the
// content type swapped, its charset changed or dropped.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';

/** Routes the fuzz gateway must have (all to the same upstream): records at `$`, at `$.shipments[*]`, and a fail-open route. */
export const FUZZ_ROUTES = [
  { id: 'flat', recordRoot: '$', failMode: 'closed' },
  { id: 'shipments', recordRoot: '$.shipments[*]', failMode: 'closed' },
  { id: 'open', recordRoot: '$', failMode: 'open' },
];

const TYPE_BY_EXT = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  form: 'application/x-www-form-urlencoded',
  txt: 'text/plain',
  pb: 'application/x-protobuf',
};
const TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=gbk',
  'application/vnd.example+json',
  'application/x-ndjson',
  'application/jsonl',
  'text/csv',
  'text/csv; charset=gb18030',
  'text/tab-separated-values',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fz',
  'multipart/form-data',
  'text/plain',
  'text/plain; charset=big5',
  'application/x-protobuf',
  'application/octet-stream',
  'image/png',
  'application/json; charset=',
  ';;',
  '',
];
const CODINGS = ['gzip', 'deflate', 'br', 'gzip, br', 'x-gzip', 'zstd', 'identity', 'gzip, gzip, gzip'];
const TOKENS = ['\u0000', '\\u0000', '"__proto__":', '{"__proto__":{"a":1}}', '"constructor":{"prototype":{"x":1}}', '"note":"110101199003074518",', '"note":', '{"a":', '[[[[[[[[', ']]]]', '"', '\\', ',', '\r\n', '\n--fz\r\n', '\r\n--fz--\r\n', '%', '%00', '=', '&', '\ufeff', '\ud800', '\xff\xfe', '1e999', '-0', '"\\ud800"'];

/** mulberry32: a small seeded PRNG, so a failing input can be reproduced from its seed and index. */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpusSeeds(dir) {
  const seeds = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.labels.json')) continue;
    const ext = name.split('.').pop();
    const bytes = readFileSync(join(dir, name));
    let type = TYPE_BY_EXT[ext];
    if (ext === 'multipart') type = `multipart/form-data; boundary=${/^--([^\r\n]+)/.exec(bytes.toString('latin1'))?.[1] ?? 'x'}`;
    if (type) seeds.push({ type, body: bytes, from: name });
  }
  return seeds;
}

const shipment = (n) => ({ orderNo: `FZ-${n}`, shipperName: `发货人${n}`, shipperPhone: `139${String(n % 1e8).padStart(8, '0')}`, shippingAddress: `广西南宁市青秀区民族大道${n % 1000}号`, quantity: 1 + (n % 5) });

function validSeeds() {
  const rows = [0, 1, 2].map(shipment);
  const cols = Object.keys(rows[0]);
  const mp = (parts) => Buffer.from(parts.map(([h, c]) => `--fz\r\n${h}\r\n\r\n${c}\r\n`).join('') + '--fz--\r\n');
  return [
    { type: 'application/json', body: Buffer.from(JSON.stringify({ shipments: rows })), from: 'valid-json' },
    { type: 'application/json', body: Buffer.from(JSON.stringify(rows[0])), from: 'valid-json-flat' },
    { type: 'application/x-ndjson', body: Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')), from: 'valid-ndjson' },
    { type: 'text/csv', body: Buffer.from([cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\r\n')), from: 'valid-csv' },
    { type: 'application/x-www-form-urlencoded', body: Buffer.from(new URLSearchParams(rows[1]).toString()), from: 'valid-form' },
    { type: 'text/plain', body: Buffer.from('请核对身份证 110101199003074518 电话 13912345678'), from: 'valid-text' },
    {
      type: 'multipart/form-data; boundary=fz',
      body: mp([
        ['Content-Disposition: form-data; name="shipperName"', '发货人7'],
        ['Content-Disposition: form-data; name="f"; filename="a.csv"\r\nContent-Type: text/csv', `${cols.join(',')}\r\n${cols.map((c) => rows[2][c]).join(',')}`],
      ]),
      from: 'valid-multipart',
    },
  ];
}

/** An endless, deterministic stream of fuzz inputs. */
export function fuzzInputs({ seed = 1, corpusDir }) {
  const rand = prng(seed);
  const int = (n) => Math.floor(rand() * n);
  const pick = (a) => a[int(a.length)];
  const seeds = [...corpusSeeds(corpusDir), ...validSeeds()];

  const mutate = (b) => {
    b = Buffer.from(b);
    switch (int(7)) {
      case 0: // bit flips
        for (let k = 1 + int(8); k > 0 && b.length > 0; k--) b[int(b.length)] ^= 1 << int(8);
        return b;
      case 1: // byte overwrites
        for (let k = 1 + int(4); k > 0 && b.length > 0; k--) b[int(b.length)] = int(256);
        return b;
      case 2: // truncation
        return b.subarray(0, int(b.length + 1));
      case 3: {
        // splice with another seed
        const other = pick(seeds).body;
        return Buffer.concat([b.subarray(0, int(b.length + 1)), other.subarray(int(other.length + 1))]);
      }
      case 4: {
        // a hostile token inserted, possibly repeated
        const at = int(b.length + 1);
        const token = Buffer.from(pick(TOKENS), 'utf8');
        const times = rand() < 0.1 ? 1 + int(3000) : 1;
        return Buffer.concat([b.subarray(0, at), Buffer.concat(Array(times).fill(token)), b.subarray(at)]);
      }
      case 5: // a region duplicated (repeated keys, rows, parts)
      {
        const a = int(b.length + 1);
        const z = Math.min(b.length, a + int(200));
        return Buffer.concat([b.subarray(0, z), b.subarray(a, z), b.subarray(z)]);
      }
      default: // random bytes
        return Buffer.from(Array.from({ length: int(400) }, () => int(256)));
    }
  };

  const encode = (b, coding) => {
    let out = b;
    for (const c of coding.split(',').map((s) => s.trim())) {
      if (c === 'gzip' || c === 'x-gzip') out = gzipSync(out);
      else if (c === 'deflate') out = rand() < 0.5 ? deflateSync(out) : deflateRawSync(out);
      else if (c === 'br') out = brotliCompressSync(out);
    }
    return out;
  };

  return {
    next() {
      const s = pick(seeds);
      let body = s.body;
      let type = s.type;
      const kinds = [];
      const r = rand();
      if (r < 0.1) kinds.push('as-is');
      else for (let k = 1 + int(3); k > 0; k--) body = mutate(body), kinds.push('mutated');
      const headers = {};
      if (rand() < 0.2) {
        type = pick(TYPES);
        kinds.push('type-swapped');
      }
      if (type !== '') headers['content-type'] = type;
      if (rand() < 0.2) {
        const coding = pick(CODINGS);
        headers['content-encoding'] = coding;
        body = encode(body, coding);
        if (rand() < 0.4) body = mutate(body);
        kinds.push('encoded');
      }
      return { route: pick(FUZZ_ROUTES).id, headers, body, kind: `${s.from}:${kinds.join('+')}` };
    },
  };
}
