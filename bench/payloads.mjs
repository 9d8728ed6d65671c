// Synthetic live-commerce shipments shared by the benches (bench/proxy.mjs, bench/soak.mjs): one
// record of ~200 bytes with a shipper's name, mobile and address (Guangxi 2025 live-commerce items).
export const shipment = (n) => ({
  orderNo: `GX2026${String(n).padStart(8, '0')}`,
  shipperName: `发货人${n}`,
  shipperPhone: `139${String(n).padStart(8, '0')}`,
  shippingAddress: `广西南宁市青秀区民族大道${n % 1000}号`,
  shippingTime: '2026-05-01T10:00:00+08:00',
  goodsName: '广西六堡茶礼盒装',
  quantity: 1 + (n % 5),
});
