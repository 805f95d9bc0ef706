import type { TransitionPayload } from '../../pipeline/tracking.ts';
import type { OrderDoc, OrderPatch, OrderStatusCode, ShipmentProgressDoc } from './store.ts';

// An order in fulfilment is as far along as its slowest shipment, until some have left
// (PARTLY_SHIPPED) and then all of them (SHIPPED).

const fulfilmentRank: Partial<Record<OrderStatusCode, number>> = { PICKING: 1, REBIN: 2, SHIPPING: 3, SHIPPED: 4 };
const stageOf: Partial<Record<OrderStatusCode, string | null>> = { PICKING: 'picking', REBIN: 'rebin', SHIPPING: 'shipping', SHIPPED: null };

/** A status a stage may report for a shipment. */
export function isFulfilmentStatus(status: string): status is 'PICKING' | 'REBIN' | 'SHIPPING' | 'SHIPPED' {
  return status in fulfilmentRank;
}

/** An order whose shipments are on their way through the distribution centres. */
function inFulfilment(status: OrderStatusCode): boolean {
  return isFulfilmentStatus(status) || status === 'PARTLY_SHIPPED';
}

/**
 * Applies a stage's report to the order. Reports may arrive twice or out of order
 * (retried deliveries, parallel stages): a shipment only ever moves forward, so a
 * duplicate or late report changes nothing. Returns null when nothing changes. `causes`: the
 * shipment's moves the report carries, recorded with the order's move they make (see OrderTransitionDoc).
 */
export function applyProgress(order: OrderDoc, shipmentId: string, status: OrderStatusCode, detail: string | null, causes: TransitionPayload[] = []): OrderPatch | null {
  // An order stopped from exceptions after its split: its other shipments still go out, and say so.
  const stopped = order.status === 'CANCELLED';
  if (!inFulfilment(order.status) && !stopped) return null;
  const index = order.shipments.findIndex((shipment) => shipment.shipmentId === shipmentId);
  if (index < 0) return null;
  const current = order.shipments[index]!;
  if (current.status === 'CANCELLED') return null; // pulled by a cancellation: a late report changes nothing
  if ((fulfilmentRank[status] ?? 0) <= (fulfilmentRank[current.status] ?? 0)) return null;
  const shipments: ShipmentProgressDoc[] = order.shipments.map((shipment, i) =>
    i === index ? { ...shipment, status, detail: detail ?? shipment.detail, ...(causes.length > 0 ? { movesJson: JSON.stringify(causes) } : {}) } : shipment,
  );
  if (stopped) return { shipments }; // the order stays CANCELLED
  const { status: orderStatus, stage } = fulfilmentOf(shipments);
  const shipped = shipments.filter((shipment) => shipment.status === 'SHIPPED').length;
  const why = `shipment ${shipmentId} ${status}${detail ? ` (${detail})` : ''}; ${shipped} of ${shipments.length} shipments shipped`;
  // Told to tracking by the report itself (sendProgress), which its stage sends until answered,
  // after the moves of every shipment still going out: the order is where the slowest one is.
  const movesOf = (shipment: ShipmentProgressDoc, i: number): TransitionPayload[] =>
    i === index && causes.length > 0 ? causes : shipment.movesJson ? (JSON.parse(shipment.movesJson) as TransitionPayload[]) : [];
  const allCauses = shipments.flatMap((shipment, i) => (shipment.status === 'CANCELLED' ? [] : movesOf(shipment, i)));
  return { shipments, status: orderStatus, stage, transition: { detail: why, carried: true, causes: allCauses } };
}

/** Where an order in fulfilment is, from its shipments; those a cancellation pulled no longer count. */
export function fulfilmentOf(shipments: ShipmentProgressDoc[]): { status: OrderStatusCode; stage: string | null } {
  const live = shipments.filter((shipment) => shipment.status !== 'CANCELLED');
  if (live.length === 0) return { status: 'CANCELLED', stage: null };
  const slowest = live.reduce((min, shipment) => ((fulfilmentRank[shipment.status] ?? 0) < (fulfilmentRank[min.status] ?? 0) ? shipment : min));
  const someLeft = live.some((shipment) => shipment.status === 'SHIPPED');
  return { status: someLeft && slowest.status !== 'SHIPPED' ? 'PARTLY_SHIPPED' : slowest.status, stage: stageOf[slowest.status] ?? null };
}
