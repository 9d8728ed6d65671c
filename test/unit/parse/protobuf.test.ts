/**
 * Protobuf bodies: the route's .proto files are loaded once (errors point at files[j] or
 * messageType), a message is decoded to a plain object the record root applies to, and a field
 * number the .proto does not declare is refused rather than skipped.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';
import { loadMessageType, type MessageType } from '../../../agent/parse/protobuf.js';
import { compileRecordRoot } from '../../../agent/parse/recordRoot.js';
import { body, records, refusal } from './support.js';

const PROTO = join(PACKAGE_ROOT, 'test', 'fixtures', 'proto');
const SHIPMENTS = join(PROTO, 'shipments.proto');

function batchType(): MessageType {
  const loaded = loadMessageType([SHIPMENTS], 'xborder.test.ShipmentBatch');
  if (!('type' in loaded)) throw new Error(loaded.issue.message);
  return loaded.type;
}

const type = batchType();
const encode = (value: Record<string, unknown>): Buffer => Buffer.from(type.encode(type.fromObject(value)).finish());
const BATCH = {
  batch_id: 'B-1',
  shipments: [
    {
      order_no: 'O-1',
      shipper_name: '张三',
      shipper_phone: '13900000001',
      quantity: 2,
      weight_grams: '9007199254740993',
      status: 'SHIPPED',
      contacts: { buyer: { name: '李四', phone: '13700000001' } },
      label: Buffer.from('label'),
    },
    { order_no: 'O-2', shipper_name: '王五', shipper_phone: '13900000002' },
  ],
};
const options = (source = '$.shipments[*]') => ({ recordRoot: compileRecordRoot(source), protobuf: type });
const pb = (bytes: Buffer) => body(bytes, 'application/x-protobuf');

describe('loading the route’s .proto files', () => {
  it('finds a message type across imported files', () => {
    expect('type' in loadMessageType([SHIPMENTS], 'xborder.test.Shipment')).toBe(true);
  });

  it.each([
    { what: 'a missing file', files: [SHIPMENTS, join(PROTO, 'nope.proto')], name: 'xborder.test.Shipment', key: ['files', 1], says: /no such file/ },
    { what: 'a file that does not parse', files: [join(PROTO, 'broken.proto')], name: 'xborder.test.Broken', key: ['files', 0], says: /broken\.proto does not load: .*line 7/ },
    { what: 'an unknown message type', files: [SHIPMENTS], name: 'xborder.test.Order', key: ['messageType'], says: /no message type xborder\.test\.Order .*known: .*xborder\.test\.ShipmentBatch/ },
    { what: 'an enum named as the message', files: [SHIPMENTS], name: 'xborder.test.Status', key: ['messageType'], says: /no message type/ },
  ])('reports $what at its key', ({ files, name, key, says }) => {
    const loaded = loadMessageType(files, name);
    expect('issue' in loaded && loaded.issue.key).toEqual(key);
    expect('issue' in loaded && loaded.issue.message).toMatch(says);
  });
});

describe('decoding', () => {
  it('gives the records at the record root, 64-bit integers and enums as strings, bytes as base64', () => {
    expect(records(pb(encode(BATCH)), options())).toEqual([
      {
        order_no: 'O-1',
        shipper_name: '张三',
        shipper_phone: '13900000001',
        quantity: 2,
        weight_grams: '9007199254740993',
        status: 'SHIPPED',
        contacts: { buyer: { name: '李四', phone: '13700000001' } },
        label: Buffer.from('label').toString('base64'),
      },
      { order_no: 'O-2', shipper_name: '王五', shipper_phone: '13900000002' },
    ]);
  });

  it('makes the whole message one record under the root $', () => {
    expect(records(pb(encode({ batch_id: 'B-2' })), options('$'))).toEqual([{ batch_id: 'B-2' }]);
  });

  it('refuses bytes that are not the message with 400 XB_PARSE_PROTOBUF_INVALID', () => {
    const err = refusal(() => records(pb(encode(BATCH).subarray(0, 30)), options()));
    expect(err).toMatchObject({ code: 'XB_PARSE_PROTOBUF_INVALID', status: 400 });
    expect(err.message).toMatch(/does not decode as xborder\.test\.ShipmentBatch/);
  });

  it('refuses a field number the .proto does not declare, at the top and nested (in a map value too)', () => {
    const unknown = (n: number, text: string) => Buffer.concat([Buffer.from([(n << 3) | 2, text.length]), Buffer.from(text)]);
    const top = Buffer.concat([encode(BATCH), unknown(15, '13900000009')]);
    expect(refusal(() => records(pb(top), options())).message).toMatch(/field number 15 in xborder\.test\.ShipmentBatch, which the route's \.proto files do not declare/);
    const shipment = Buffer.concat([Buffer.from(batchShipment()), unknown(12, 'x')]);
    const nested = Buffer.concat([Buffer.from([(2 << 3) | 2, shipment.length]), shipment]);
    expect(refusal(() => records(pb(nested), options())).message).toMatch(/field number 12 in xborder\.test\.ShipmentBatch\.shipments/);
    const party = Buffer.concat([unknown(1, 'n'), unknown(7, 'x')]);
    const entry = Buffer.concat([unknown(1, 'buyer'), Buffer.from([(2 << 3) | 2, party.length]), party]);
    const withMap = Buffer.concat([Buffer.from([(9 << 3) | 2, entry.length]), entry]);
    const inBatch = Buffer.concat([Buffer.from([(2 << 3) | 2, withMap.length]), withMap]);
    expect(refusal(() => records(pb(inBatch), options())).message).toMatch(/field number 7 in xborder\.test\.ShipmentBatch\.shipments\.contacts/);
  });
});

function batchShipment(): Uint8Array {
  const loaded = loadMessageType([SHIPMENTS], 'xborder.test.Shipment');
  if (!('type' in loaded)) throw new Error(loaded.issue.message);
  return loaded.type.encode(loaded.type.fromObject({ order_no: 'O-9' })).finish();
}
