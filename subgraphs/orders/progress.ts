import type { OrderDoc, OrderStatusCode, ShipmentProgressDoc } from './store.ts';

// An order in fulfilment is as far along as its slowest shipment.

const fulfilmentRank: Partial<Record<OrderStatusCode, number>> = { PICKING: 1, REBIN: 2, SHIPPING: 3, SHIPPED: 4 };
const stageOf: Partial<Record<OrderStatusCode, string | null>> = { PICKING: 'picking', REBIN: 'rebin', SHIPPING: 'shipping', SHIPPED: null };

export function isFulfilmentStatus(status: string): status is 'PICKING' | 'REBIN' | 'SHIPPING' | 'SHIPPED' {
  return status in fulfilmentRank;
}

/**
 * Applies a stage's report to the order. Reports may arrive twice or out of order
 * (retried deliveries, parallel stages): a shipment only ever moves forward, so a
 * duplicate or late report changes nothing. Returns null when nothing changes.
 */
export function applyProgress(order: OrderDoc, shipmentId: string, status: OrderStatusCode, detail: string | null): Partial<OrderDoc> | null {
  if (!isFulfilmentStatus(order.status)) return null;
  const index = order.shipments.findIndex((shipment) => shipment.shipmentId === shipmentId);
  if (index < 0) return null;
  const current = order.shipments[index]!;
  if ((fulfilmentRank[status] ?? 0) <= (fulfilmentRank[current.status] ?? 0)) return null;
  const shipments: ShipmentProgressDoc[] = order.shipments.map((shipment, i) => (i === index ? { ...shipment, status, detail: detail ?? shipment.detail } : shipment));
  const slowest = shipments.reduce((min, shipment) => ((fulfilmentRank[shipment.status] ?? 0) < (fulfilmentRank[min.status] ?? 0) ? shipment : min));
  return { shipments, status: slowest.status, stage: stageOf[slowest.status] ?? null };
}
