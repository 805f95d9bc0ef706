import type { NewMessage } from '../kit/queue.ts';
import { itemCount, operations, type ShipmentPayload } from './messages.ts';
import { handedOver, type TransitionPayload } from './tracking.ts';

/**
 * How work moves between stages, in one place.
 *
 * - directed: the stage hands its result back to the coordinator (the orders
 *   service), which decides where it goes next. Charging is always directed:
 *   payments is a reusable service that returns results to whoever asked.
 * - autonomous: the stage passes the element straight to the next stage by the
 *   fixed rule below (a multi-item shipment always goes from picking to rebin).
 *
 * Which one a stage uses is configuration (`<STAGE>_ROUTING=directed|autonomous`),
 * not a rewrite: both modes apply the same `next` rule, only who applies it differs.
 */
export type Routing = 'directed' | 'autonomous';
export type ShipmentStage = 'picking' | 'rebin' | 'shipping';

export const nextStage: Record<ShipmentStage, (shipment: ShipmentPayload) => ShipmentStage | null> = {
  picking: (shipment) => (itemCount(shipment) > 1 ? 'rebin' : 'shipping'),
  rebin: () => 'shipping',
  shipping: () => null,
};

export function routingOf(stage: ShipmentStage, env: NodeJS.ProcessEnv = process.env): Routing {
  const value = env[`${stage.toUpperCase()}_ROUTING`] ?? 'autonomous';
  if (value !== 'directed' && value !== 'autonomous') throw new Error(`${stage.toUpperCase()}_ROUTING must be directed or autonomous, got ${value}`);
  return value;
}

const enqueueOperation: Record<ShipmentStage, string> = {
  picking: operations.enqueueForPicking,
  rebin: operations.enqueueForRebin,
  shipping: operations.enqueueForShipping,
};

/** The message that puts a shipment into a stage's queue. */
export function sendTo(stage: ShipmentStage, shipment: ShipmentPayload): NewMessage {
  return { id: `${stage}:${shipment.shipmentId}`, target: stage, operation: enqueueOperation[stage], variables: { shipment: toShipmentInput(shipment) } };
}

/** What a stage sends when it has finished a shipment: to the next stage, or back to the coordinator. */
export function handOff(stage: ShipmentStage, shipment: ShipmentPayload, env: NodeJS.ProcessEnv = process.env): NewMessage[] {
  if (routingOf(stage, env) === 'directed') {
    return [{ id: `completed:${stage}:${shipment.shipmentId}`, target: 'orders', operation: operations.stageCompleted, variables: { stage, shipment: toShipmentInput(shipment) } }];
  }
  const next = nextStage[stage](shipment);
  return next ? [sendTo(next, shipment)] : [];
}

/**
 * Whether `message` is a stage's hand-off of the shipment itself (to the next stage, or back to
 * the coordinator), as handOff makes them: not a report about it (progress, tracking).
 */
export function isHandOff(message: { id: string; operation: string }, shipmentId: string): boolean {
  const handedTo = Object.keys(enqueueOperation).some((stage) => message.id === `${stage}:${shipmentId}` && message.operation === enqueueOperation[stage as ShipmentStage]);
  return handedTo || (message.operation === operations.stageCompleted && message.id.startsWith('completed:') && message.id.endsWith(`:${shipmentId}`));
}

/** Strips anything GraphQL's ShipmentInput does not declare (stored documents carry extra fields). */
export function toShipmentInput(shipment: ShipmentPayload) {
  return {
    shipmentId: shipment.shipmentId,
    orderId: shipment.orderId,
    reservationId: shipment.reservationId,
    distributionCenter: shipment.distributionCenter,
    shippingMethod: shipment.shippingMethod,
    picklistId: shipment.picklistId ?? null,
    addressVersion: shipment.addressVersion ?? 0,
    handedOver: shipment.handedOver ? handedOver(shipment.handedOver) : null,
    address: {
      name: shipment.address.name,
      line1: shipment.address.line1,
      line2: shipment.address.line2 ?? null,
      city: shipment.address.city,
      postalCode: shipment.address.postalCode,
      country: shipment.address.country,
    },
    lines: shipment.lines.map(({ sku, title, quantity, weightGrams, bin }) => ({ sku, title, quantity, weightGrams, bin })),
  };
}

/**
 * Tells the orders service where a shipment is now (the order's status follows its slowest
 * shipment), `moved` there by `stage`. It carries the stage's move, and the move that handed the
 * shipment over: orders tells tracking of them ahead of the order's move they cause, at once,
 * where the stage's own record of them goes through its relay, and a subscriber heard the order
 * PARTLY_SHIPPED before any shipment had shipped.
 */
export function progress(stage: ShipmentStage, shipment: ShipmentPayload, moved: TransitionPayload): NewMessage {
  const status = moved.to as ReturnType<typeof statusAfter>;
  const eventId = `${shipment.shipmentId}:${stage}:${status}`;
  const moves = [...(shipment.handedOver ? [handedOver(shipment.handedOver)] : []), handedOver(moved)];
  return {
    id: `progress:${eventId}`,
    target: 'orders',
    operation: operations.recordProgress,
    variables: { input: { eventId, orderId: shipment.orderId, shipmentId: shipment.shipmentId, stage, status, detail: moved.detail, moves } },
  };
}

/** The status an order's shipment has once a stage is done with it. */
export function statusAfter(stage: ShipmentStage, shipment: ShipmentPayload): 'REBIN' | 'SHIPPING' | 'SHIPPED' {
  const next = nextStage[stage](shipment);
  return next === 'rebin' ? 'REBIN' : next === 'shipping' ? 'SHIPPING' : 'SHIPPED';
}
