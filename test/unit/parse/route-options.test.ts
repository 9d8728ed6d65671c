/**
 * A route's parse options from xborder.yaml: `accept`, `csv`, `protobuf` and the body `limits` are
 * validated at load (errors at the key's line) and built into the snapshot's RouteRuntime, the
 * .proto files loaded once. The old `contentType` key says what replaced it.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULTS } from '../../../agent/config/defaults.js';
import { loadConfig } from '../../../agent/config/load.js';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';
import { parse } from '../../../agent/parse/index.js';
import { buildSnapshot } from '../../../agent/policy/snapshot.js';
import { shippedPolicy } from '../support/policy.js';
import { body, refusal } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'xb-route-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['shipments.proto', 'common.proto', 'broken.proto']) copyFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'proto', f), join(dir, f));

const base = { id: 'r', upstream: 'https://partner.example', recipient: { name: 'Partner', country: 'SG' }, domain: 'guangxi-2025/live-commerce', scenario: 'cross-border-delivery' };

/** Write a config with one route (extra keys merged in) beside the copied .proto files. */
function configWith(route: Record<string, unknown>, top: Record<string, unknown> = {}): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ company: { name: 'X', regime: 'guangxi' }, ...top, routes: [{ ...base, ...route }] }));
  return file;
}
const build = (file: string) => buildSnapshot(loadConfig(file), shippedPolicy());

describe('valid parse options', () => {
  it('builds them into the route: accept, csv, the loaded message type and the limits', () => {
    const file = configWith(
      { accept: ['text/csv', 'application/x-protobuf'], csv: { delimiter: ';', charset: 'gbk' }, protobuf: { files: ['shipments.proto'], messageType: 'xborder.test.ShipmentBatch' }, recordRoot: '$.shipments[*]' },
      { limits: { decompressedBytes: 2048, maxRatio: 50, multipartParts: 10 } },
    );
    const route = build(file).routes.get('r');
    expect(route?.accept).toEqual(['text/csv', 'application/x-protobuf']);
    expect(route?.csv).toEqual({ delimiter: ';', charset: 'gbk' });
    expect(route?.protobuf?.fullName).toBe('.xborder.test.ShipmentBatch');
    expect(route?.bodyLimits).toEqual({ decompressedBytes: 2048, maxRatio: 50, multipartParts: 10 });
    // The route is what the pipeline hands parse().
    expect(route && parse(body('a;b\n1;2', 'text/csv'), route).records).toEqual([{ a: '1', b: '2' }]);
  });

  it('defaults to every inspectable type, a comma, no message type and DEFAULTS.limits', () => {
    const route = build(configWith({})).routes.get('r');
    expect(route?.accept).toBeUndefined();
    expect(route?.csv).toEqual({ delimiter: ',', charset: undefined });
    expect(route?.protobuf).toBeUndefined();
    expect(route?.bodyLimits).toEqual({ decompressedBytes: DEFAULTS.limits.decompressedBytes, maxRatio: DEFAULTS.limits.maxRatio, multipartParts: DEFAULTS.limits.multipartParts });
  });
});

describe('broken parse options: XB_CFG_INVALID at the line of the key', () => {
  it.each([
    { what: 'a type parse/ cannot inspect', route: { accept: ['application/json', 'image/png'] }, key: 'routes[0].accept[1]', says: /image\/png cannot be inspected; inspected types: application\/json/ },
    { what: 'a media type that is not one', route: { accept: ['json'] }, key: 'routes[0].accept[0]', says: /match/ },
    { what: 'protobuf accepted without a message type', route: { accept: ['application/x-protobuf'] }, key: 'routes[0].accept[0]', says: /needs routes\[0\]\.protobuf/ },
    { what: 'a delimiter of two characters', route: { csv: { delimiter: ';;' } }, key: 'routes[0].csv.delimiter', says: /1 characters|length/ },
    { what: 'a quote as delimiter', route: { csv: { delimiter: '"' } }, key: 'routes[0].csv.delimiter', says: /quote or a line break/ },
    { what: 'a charset it cannot decode', route: { csv: { charset: 'big5' } }, key: 'routes[0].csv.charset', says: /expected one of: utf-8, gbk, gb18030/ },
    { what: 'the renamed contentType', route: { contentType: 'application/json' }, key: 'routes[0].contentType', says: /renamed: use accept instead/ },
  ])('$what', ({ route, key, says }) => {
    const file = configWith(route);
    const err = refusal(() => loadConfig(file));
    expect(err.code).toBe('XB_CFG_INVALID');
    const line = err.message.split('\n').find((l) => l.includes(` ${key}: `));
    expect(line, err.message).toMatch(says);
    expect(line).toMatch(/\.yaml:\d+ /);
    // One issue per defect: a renamed key is not also an unknown key.
    expect(err.message.split('\n')).toHaveLength(2);
  });

  it.each([
    { what: 'a missing .proto file', protobuf: { files: ['shipments.proto', 'missing.proto'], messageType: 'xborder.test.Shipment' }, key: 'routes[0].protobuf.files[1]', says: /no such file: .*missing\.proto/ },
    { what: 'a .proto that does not parse', protobuf: { files: ['broken.proto'], messageType: 'xborder.test.Broken' }, key: 'routes[0].protobuf.files[0]', says: /broken\.proto does not load/ },
    { what: 'an unknown message type', protobuf: { files: ['shipments.proto'], messageType: 'xborder.test.Parcel' }, key: 'routes[0].protobuf.messageType', says: /no message type xborder\.test\.Parcel/ },
  ])('$what, when the snapshot is built', ({ protobuf, key, says }) => {
    const file = configWith({ protobuf });
    const err = refusal(() => build(file));
    expect(err.code).toBe('XB_CFG_INVALID');
    const text = readFileSync(file, 'utf8');
    const keyName = key.split('.').at(-1)?.replace(/\[\d+\]$/, '') as string;
    const line = err.message.split('\n').find((l) => l.includes(` ${key}: `));
    expect(line, err.message).toMatch(says);
    // The line named is the line of that key in the file.
    const lineNo = Number(/\.yaml:(\d+) /.exec(line ?? '')?.[1]);
    expect(text.split('\n')[lineNo - 1]).toMatch(keyName === 'files' ? /\.proto/ : new RegExp(keyName));
  });
});
