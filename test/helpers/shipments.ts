/**
 * Synthetic live-commerce shipment records (Guangxi 2025 list, domain 3, scenario 跨境配送).
 * Person n is a shipper with a unique mobile number; the same n always yields the same person.
 */
export const shipperPhone = (n: number): string => `139${String(n).padStart(8, '0')}`;

/** A record carrying only item 6's listed data items (发货人姓名、发货地址、发货时间、发货人联系方式、货品名称、货品数量、订单号). */
export function shipment(n: number, order: string): Record<string, unknown> {
  return {
    orderNo: order,
    shipperName: `发货人${n}`,
    shipperPhone: shipperPhone(n),
    shippingAddress: `广西南宁市青秀区民族大道${n % 1000}号`,
    shippingTime: '2026-05-01T10:00:00+08:00',
    goodsName: '六堡茶',
    quantity: 1 + (n % 5),
  };
}

/** A valid 18-digit resident ID (GB 11643 check character) for a sequence number. */
export function residentId(seq: number, birth = '19850612'): string {
  const body = `450103${birth}${String(seq % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * (weights[i] as number), 0);
  return body + '10X98765432'[sum % 11];
}

/** A buyer's mobile number: person n as a buyer (general counter: outside item 6's listed data items). */
export const buyerPhone = (n: number): string => `137${String(n).padStart(8, '0')}`;

/** A batch: its shippers, and (on general batches) one buyer per record beside the shipper. */
export interface ShipmentBatch {
  readonly id: string;
  readonly shippers: readonly number[];
  readonly buyers?: readonly number[];
}

/** The JSON body of a batch: one shipment per shipper, with its buyer when there is one. */
export const batchBody = (b: ShipmentBatch) => ({
  batch: b.id,
  shipments: b.shippers.map((n, i) => {
    const record = shipment(n, `${b.id}-${i}`);
    const buyer = b.buyers?.[i];
    return buyer === undefined ? record : { ...record, buyerName: `买家${buyer}`, buyerPhone: buyerPhone(buyer) };
  }),
});
