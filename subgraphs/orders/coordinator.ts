import type { GraphQLClient } from '../../kit/graphql-client.ts';
import type { Lease, NewMessage } from '../../kit/queue.ts';
import type { Outcome } from '../../kit/worker.ts';
import { exceptionFor } from '../../pipeline/exceptions.ts';
import { operations, reserveStockOperation, type ChargeResultPayload, type ReservationResult, type ShipmentPayload } from '../../pipeline/messages.ts';
import { nextStage, sendTo, type ShipmentStage } from '../../pipeline/routes.ts';
import { ObjectId } from 'mongodb';
import type { CoordinationStep, OrderDoc, OrderStore } from './store.ts';

/**
 * The orders service coordinates each order's journey (directed routing): it asks
 * payments for the charge, receives the result on its own queue, reserves stock
 * through inventory, and sends one shipment per distribution centre to picking.
 * From picking on, stages route autonomously unless configured otherwise.
 */
export function createCoordinator(store: OrderStore, inventory: GraphQLClient) {
  const load = async (orderId: string): Promise<OrderDoc> => {
    const order = await store.findById(new ObjectId(orderId));
    if (!order) throw new Error(`order ${orderId} is not stored yet`);
    return order;
  };

  async function charge(lease: Lease<CoordinationStep>, orderId: string): Promise<Outcome<unknown>> {
    const attempt = Number(lease.id.split(':')[2] ?? 1);
    const requestId = `${orderId}:charge:${attempt}`;
    const order = await store.change(new ObjectId(orderId), (current) =>
      ['PLACED', 'PAYMENT_DECLINED', 'CHARGING'].includes(current.status)
        ? { status: 'CHARGING', stage: 'payments', chargeAttempts: Math.max(current.chargeAttempts ?? 0, attempt) }
        : null,
    );
    if (!order) {
      await load(orderId); // throws (and so retries) if the order is not there yet
      return {}; // already past charging: a duplicate step
    }
    const { token, last4, expMonth, expYear } = order.paymentMethod;
    return {
      messages: [
        {
          id: `charge-request:${requestId}`,
          target: 'payments',
          operation: operations.requestCharge,
          variables: { input: { requestId, orderId, amount: order.total, card: { token, last4, expMonth, expYear }, replyTo: 'orders.charge-results' } },
        },
      ],
    };
  }

  async function chargeResult(lease: Lease<ChargeResultPayload>): Promise<Outcome<unknown>> {
    const result = lease.payload;
    const orderId = result.orderId!;
    const expectedRequest = (order: OrderDoc) => result.requestId === `${orderId}:charge:${order.chargeAttempts}`;
    if (result.outcome === 'DECLINED') {
      const order = await store.change(new ObjectId(orderId), (current) =>
        current.status === 'CHARGING' && expectedRequest(current) ? { status: 'PAYMENT_DECLINED', stage: 'exceptions' } : null,
      );
      if (!order) return {};
      return { messages: [exceptionFor({ service: 'orders', queue: 'charge-results', elementId: lease.id, orderId, reason: `card declined: ${result.declineReason ?? 'no reason given'}` })] };
    }
    const order = await store.change(new ObjectId(orderId), (current) =>
      current.status === 'CHARGING' && expectedRequest(current) ? { status: 'RESERVING', stage: 'inventory', chargeId: result.chargeId } : null,
    );
    if (!order && (await load(orderId)).status !== 'RESERVING') return {};
    return reserve(lease.id, orderId);
  }

  async function reserve(elementId: string, orderId: string): Promise<Outcome<unknown>> {
    const order = await load(orderId);
    if (order.status !== 'RESERVING' && order.status !== 'OUT_OF_STOCK') return {};
    // Inventory down: this throws and the queue retries with backoff; nothing is lost.
    const { reserveStock } = await inventory.request<{ reserveStock: ReservationResult }>(reserveStockOperation, {
      input: { reservationId: orderId, lines: order.lines.map(({ sku, quantity }) => ({ sku, quantity })) },
    });
    if (reserveStock.status === 'INSUFFICIENT') {
      const changed = await store.change(order._id, (current) => (current.status === 'RESERVING' ? { status: 'OUT_OF_STOCK', stage: 'exceptions' } : null));
      if (!changed) return {};
      return { messages: [exceptionFor({ service: 'orders', queue: 'coordination', elementId, orderId, reason: `not enough stock for ${reserveStock.missing.join(', ')}` })] };
    }
    const shipments = shipmentsFor(order, reserveStock);
    const changed = await store.change(order._id, (current) =>
      current.status === 'RESERVING' || current.status === 'OUT_OF_STOCK'
        ? {
            status: 'PICKING',
            stage: 'picking',
            shipments: shipments.map((s) => ({ shipmentId: s.shipmentId, distributionCenter: s.distributionCenter, status: 'PICKING' as const, detail: null })),
          }
        : null,
    );
    if (!changed) return {};
    return { messages: shipments.map((shipment) => sendTo('picking', shipment)) };
  }

  /** Directed routing from picking on: the stage handed the shipment back; apply the same rule it would have. */
  function forward(stage: string, shipment: ShipmentPayload): Outcome<unknown> {
    const next = nextStage[stage as ShipmentStage]?.(shipment);
    const messages: NewMessage[] = next ? [sendTo(next, shipment)] : [];
    return { messages };
  }

  return {
    handleStep: async (lease: Lease<CoordinationStep>): Promise<Outcome<unknown>> => {
      const step = lease.payload;
      if (step.kind === 'charge') return charge(lease, step.orderId);
      if (step.kind === 'reserve') return reserve(lease.id, step.orderId);
      return forward(step.stage, step.shipment);
    },
    handleChargeResult: chargeResult,
  };
}

/** One shipment per distribution centre, carrying everything picking, rebin and shipping need. */
export function shipmentsFor(order: OrderDoc, reservation: ReservationResult): ShipmentPayload[] {
  const orderId = order._id.toHexString();
  const byCenter = new Map<string, ShipmentPayload>();
  for (const allocation of reservation.allocations) {
    const line = order.lines.find((candidate) => candidate.sku === allocation.sku)!;
    let shipment = byCenter.get(allocation.distributionCenter);
    if (!shipment) {
      shipment = {
        shipmentId: `${orderId}-${allocation.distributionCenter}`,
        orderId,
        reservationId: reservation.id,
        distributionCenter: allocation.distributionCenter,
        shippingMethod: order.shippingMethod,
        lines: [],
        address: order.shippingAddress,
        picklistId: null,
      };
      byCenter.set(allocation.distributionCenter, shipment);
    }
    shipment.lines.push({ sku: line.sku, title: line.title, quantity: allocation.quantity, weightGrams: line.weightGrams, bin: allocation.bin });
  }
  return [...byCenter.values()];
}
