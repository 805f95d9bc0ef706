import { ObjectId } from 'mongodb';
import type { GraphQLClient } from '../../kit/graphql-client.ts';
import type { Lease, NewMessage } from '../../kit/queue.ts';
import type { Outcome } from '../../kit/worker.ts';
import { exceptionClosed, exceptionFor, type RaisedException } from '../../pipeline/exceptions.ts';
import { operations, orderChargeId, reserveStockOperation, type ChargeResultPayload, type ReservationResult, type ShipmentPayload } from '../../pipeline/messages.ts';
import { nextStage, sendTo, type ShipmentStage } from '../../pipeline/routes.ts';
import { addressVersionOf, withAddress } from '../../pipeline/address-changes.ts';
import { handedOver, inOrder, track, transition } from '../../pipeline/tracking.ts';
import { publication, settleRouting, tellTracking } from './address-changes.ts';
import { cancellationPublication, lateChargeRecorded, pullParkedForwardSteps, pullRefusedHandOffs, pulledOnItsWay, refundOfLateCharge, stopRefunds } from './cancellations.ts';
import { orderMove } from './order-transitions.ts';
import { DEFAULT_PAY_WITHIN_MS, DEFAULT_STOCK_WAIT_MS } from './env.ts';
import { expireUnpaid } from './unpaid.ts';
import { deadlineAfter, PLACEMENT_MOVE, placementMoveUnsent, type CoordinationStep, type PaidAgain, type OrderDoc, type OrderPatch, type OrderStore } from './store.ts';

/**
 * The orders service coordinates each order's journey (directed routing): it asks
 * payments for the charge, receives the result on its own queue, reserves stock
 * through inventory, and sends one shipment per distribution centre to picking.
 * From picking on, stages route autonomously unless configured otherwise.
 *
 * Every step first moves the order's status (its own document), then returns the
 * messages to send, which the queue records with the step's completion. A worker that
 * dies between the two leaves the order moved on and the step unfinished; the step
 * runs again and, seeing the status it already set, sends the same messages again
 * (receivers take each once). So each step is written to be re-run.
 */
export function createCoordinator(store: OrderStore, inventory: GraphQLClient, options: { payWithinMs?: number; stockWaitMs?: number } = {}) {
  const payWithinMs = options.payWithinMs ?? DEFAULT_PAY_WITHIN_MS;
  const stockWaitMs = options.stockWaitMs ?? DEFAULT_STOCK_WAIT_MS;
  const load = async (orderId: string): Promise<OrderDoc> => {
    const order = await store.findById(new ObjectId(orderId));
    if (!order) throw new Error(`order ${orderId} is not stored yet`);
    return order;
  };
  const moveIf = (order: OrderDoc, from: OrderDoc['status'][], patch: OrderPatch) =>
    store.change(order._id, (current) => (from.includes(current.status) && current.chargeAttempts === order.chargeAttempts ? patch : null), order);

  /**
   * A charge attempt: moves the order to CHARGING, unless it is there for this attempt already
   * (placeOrder stores it so, or this step ran before), and sends the request and the move.
   */
  async function charge(lease: Lease<CoordinationStep>, orderId: string): Promise<Outcome<unknown>> {
    const attempt = Number(lease.id.split(':')[2] ?? 1);
    const paidAgain = lease.payload.kind === 'charge' ? lease.payload.paidAgain : undefined;
    let order = await load(orderId); // throws (and so retries) if the order is not there yet
    if (order.status !== 'CHARGING' || order.chargeAttempts !== attempt) {
      const moved = await moveToCharging(store, order, attempt, paidAgain);
      // A newer charge attempt, or past this one: its result came, or the order was cancelled.
      if (!moved) return untoldPlacement(await load(orderId), attempt);
      order = moved;
    }
    // Placed charging (placeOrder), its charge request not known to have gone: this step's messages carry it and the move.
    if (attempt === 1) await store.markTransitionsSent(order, [PLACEMENT_MOVE]);
    const messages = chargeMessages(order, attempt);
    // The decline no longer waits for a person: its customer paid again.
    if (paidAgain?.closesException) messages.push(exceptionClosed(paidAgain.closesException, `${PAID_AGAIN} (attempt ${attempt})`, 'WAIT_OVER'));
    return { messages };
  }

  /**
   * The placement's moves, where tracking did not take them from placeOrder and the order moved on
   * before this step ran (its charge result came first): told now, rather than by the sweep.
   */
  async function untoldPlacement(order: OrderDoc, attempt: number): Promise<Outcome<unknown>> {
    if (attempt !== 1 || !placementMoveUnsent(order)) return {};
    await store.markTransitionsSent(order, [PLACEMENT_MOVE]);
    return { messages: [chargeMessages(order, 1)[0]!] };
  }

  async function chargeResult(lease: Lease<ChargeResultPayload>): Promise<Outcome<unknown>> {
    const result = lease.payload;
    const orderId = result.orderId!;
    let order = await load(orderId);
    if (result.requestId !== orderChargeId(orderId, order.chargeAttempts)) return {}; // an outdated attempt's result
    if (result.outcome === 'DECLINED') {
      const reason = `card declined: ${result.declineReason ?? 'no reason given'}`;
      const declined = { detail: reason, key: lease.id };
      const raised: RaisedException = { service: 'orders', queue: 'charge-results', elementId: lease.id, orderId, reason, customerReason: reason, occurrence: lease.id };
      if (order.status === 'CHARGING') {
        const payBy = deadlineAfter(new Date(), payWithinMs);
        order = (await moveIf(order, ['CHARGING'], { status: 'PAYMENT_DECLINED', stage: 'exceptions', openException: raised, payBy, transition: { ...declined, carried: true } })) ?? (await load(orderId));
      }
      if (order.status !== 'PAYMENT_DECLINED') return {};
      return { messages: [track(orderMove(order, 'CHARGING', 'PAYMENT_DECLINED', declined)), exceptionFor(raised)] };
    }
    const approved = { detail: `charge ${result.chargeId}` };
    if (order.status === 'CHARGING') {
      order = (await moveIf(order, ['CHARGING'], { status: 'RESERVING', stage: 'inventory', chargeId: result.chargeId, transition: { ...approved, carried: true } })) ?? (await load(orderId));
    }
    // Cancelled before the charge landed, also while the move above was being made: given back.
    // (Had it moved to RESERVING first, the cancellation's message to tracking carried that move.)
    if (order.status === 'CANCELLED') return lateCharge(order, result.chargeId);
    const charged = track(orderMove(order, 'CHARGING', 'RESERVING', approved));
    const reserved = await reserve(lease.id, 'charge-results', orderId, order);
    // One message to tracking: RESERVING must be recorded before PICKING.
    return { messages: inOrder([charged, ...(reserved.messages ?? [])]) };
  }

  /**
   * `known`: the order as this step just read or wrote it (one read fewer); a change made since fails its compare-and-swap, which reads it again.
   * `restocked`: retried by the worker as stock came in (restocked.ts), not by a person.
   */
  async function reserve(elementId: string, queue: string, orderId: string, known?: OrderDoc, restocked?: { closesException: RaisedException | null }): Promise<Outcome<unknown>> {
    let order = known ?? (await load(orderId));
    if (!['RESERVING', 'OUT_OF_STOCK', 'PICKING'].includes(order.status)) return {};
    // Idempotent by reservation id: a re-run gets the reservation already made.
    // Inventory down: this throws and the queue retries with backoff; nothing is lost.
    const { reserveStock } = await inventory.request<{ reserveStock: ReservationResult }>(reserveStockOperation, {
      input: { reservationId: orderId, lines: order.lines.map(({ sku, quantity }) => ({ sku, quantity })) },
    });
    if (reserveStock.status === 'INSUFFICIENT' && restocked) {
      // Other orders took the stock first: it keeps waiting in the exception it has, no new one. The
      // write makes the next retry's step another (its id names the order's version).
      await store.change(order._id, (current) => (current.status === 'OUT_OF_STOCK' ? { restockTriedAt: new Date() } : null), order);
      return {};
    }
    if (reserveStock.status === 'INSUFFICIENT') {
      const missing = { detail: `not enough stock for ${reserveStock.missing.join(', ')}`, key: elementId };
      const raised: RaisedException = { service: 'orders', queue, elementId, orderId, reason: missing.detail, customerReason: missing.detail, occurrence: elementId };
      // Written either way (moved there, or a retry finding it still there), on the order as it is
      // now, not as read before inventory answered: a cancellation that came meanwhile is seen, and
      // one that comes later is later than this.
      order =
        (await store.change(
          order._id,
          (current) =>
            current.status === 'RESERVING' && current.chargeAttempts === order.chargeAttempts
              ? { status: 'OUT_OF_STOCK', stage: 'exceptions', openException: raised, waitForStockUntil: current.waitForStockUntil ?? deadlineAfter(new Date(), stockWaitMs), transition: { ...missing, carried: true } }
              : current.status === 'OUT_OF_STOCK'
                ? { stage: 'exceptions', openException: raised }
                : null,
          order,
        )) ?? (await load(orderId));
      if (order.status !== 'OUT_OF_STOCK') return {};
      return { messages: [track(orderMove(order, fromState(elementId), 'OUT_OF_STOCK', { ...missing, at: order.updatedAt })), exceptionFor(raised)] };
    }
    const planned = shipmentsFor(order, reserveStock);
    if (order.status !== 'PICKING') {
      order =
        (await moveIf(order, ['RESERVING', 'OUT_OF_STOCK'], {
          status: 'PICKING',
          stage: 'picking',
          shipments: planned.map((s) => ({
            shipmentId: s.shipmentId,
            distributionCenter: s.distributionCenter,
            status: 'PICKING' as const,
            detail: null,
            lines: s.lines.map(({ sku, quantity }) => ({ sku, quantity })),
          })),
          transition: { detail: null, carried: true },
        })) ?? (await load(orderId));
    }
    // Cancelled while the reservation was being made: give the stock back at once.
    if (order.status === 'CANCELLED') return release(orderId);
    if (order.status !== 'PICKING') return {};
    // Built from the order as it is now, so the shipments take any address change made so far.
    const shipments = shipmentsFor(order, reserveStock);
    const changes = await settleRouting(store, order, [orderId, ...shipments.map((s) => s.shipmentId)], order.addressVersion ?? 0, 'when it sent the order to picking');
    const handedToPicking = shipments.map((s) => transition({ elementType: 'SHIPMENT', elementId: s.shipmentId, orderId, from: null, to: 'PICKING', node: 'orders', detail: s.distributionCenter }));
    const transitions = [orderMove(order, fromState(elementId), 'PICKING'), ...handedToPicking];
    // Each hand-off carries the shipment's move, which picking records again before its own.
    const messages = [track(...transitions, ...changes), ...shipments.map((shipment, i) => sendTo('picking', { ...shipment, handedOver: handedOver(handedToPicking[i]!) }))];
    // Nobody need act on it now: its stock came in.
    if (restocked?.closesException) messages.push(exceptionClosed(restocked.closesException, RESTOCKED, 'WAIT_OVER'));
    return { messages };
  }

  /** The state an order leaves when a reservation step runs: RESERVING after a charge, OUT_OF_STOCK on a retry (a person's, or as stock came in). */
  function fromState(elementId: string): string {
    return elementId.startsWith('reserve:') || elementId.startsWith('restock:') ? 'OUT_OF_STOCK' : 'RESERVING';
  }

  /**
   * Directed routing from picking on: the stage handed the shipment back; apply the same rule
   * it would have, with the order's current address (the coordinator variant of in-flight changes).
   */
  async function forward(stage: string, shipment: ShipmentPayload): Promise<Outcome<unknown>> {
    const next = nextStage[stage as ShipmentStage]?.(shipment);
    if (!next) return {};
    const order = await load(shipment.orderId);
    // Cancelled on its way: pulled here rather than sent to a stage to be pulled there.
    const pulled = pulledOnItsWay(order, { payload: { kind: 'forward', stage, shipment }, status: 'LEASED', outbox: [] });
    if (pulled) return { messages: pulled };
    const version = order.addressVersion ?? 0;
    const routed = version > addressVersionOf(shipment) ? withAddress(shipment, { address: order.shippingAddress, version }) : shipment;
    const changes = await settleRouting(store, order, [shipment.shipmentId], addressVersionOf(routed), `when it routed the shipment from ${stage} to ${next}`);
    // Told before the shipment moves on, not beside its hand-off: a relay sends an element's
    // messages side by side, and the next stage's moves could reach tracking first (a subscriber
    // heard the parcel shipped, then its address changed).
    await tellTracking(store, shipment.orderId, changes);
    return { messages: [sendTo(next, routed)] };
  }

  /**
   * The card was charged after the order was cancelled (the charge was in flight): the order
   * records the charge, and a customer's cancellation its refund of all of it (by the
   * cancellation's id, so once, however often this runs). An order a person stopped from
   * exceptions is refunded as a stop is.
   */
  async function lateCharge(order: OrderDoc, chargeId: string): Promise<Outcome<unknown>> {
    const recorded = (await store.change(order._id, (current) => lateChargeRecorded(current, chargeId), order)) ?? (await load(order._id.toHexString()));
    const refund = refundOfLateCharge(recorded);
    if (refund) return { messages: [refund] };
    return { messages: stopRefunds(recorded, 'stopped while its charge was in flight').map(({ message }) => message) };
  }

  /** A cancelled order gives back the stock it held (or one centre's part of it). */
  function release(orderId: string, distributionCenter?: string): Outcome<unknown> {
    const id = distributionCenter ? `release:${orderId}:${distributionCenter}` : `release:${orderId}`;
    return { messages: [{ id, target: 'inventory', operation: operations.releaseReservation, variables: { reservationId: orderId, distributionCenter: distributionCenter ?? null } }] };
  }

  return {
    handleStep: async (lease: Lease<CoordinationStep>): Promise<Outcome<unknown>> => {
      const step = lease.payload;
      if (step.kind === 'charge') return charge(lease, step.orderId);
      if (step.kind === 'reserve') return reserve(lease.id, 'coordination', step.orderId, undefined, step.restocked);
      if (step.kind === 'release') return release(step.orderId, step.distributionCenter);
      if (step.kind === 'expire') {
        await expireUnpaid(store, step.orderId, step.attempts, payWithinMs);
        return {};
      }
      if (step.kind === 'address-change') return { messages: publication(await load(step.orderId), step.changeId) };
      if (step.kind === 'cancellation') {
        const order = await load(step.orderId);
        await pullParkedForwardSteps(store, order);
        await pullRefusedHandOffs(store, order);
        return { messages: cancellationPublication(order, step.cancellationId) };
      }
      return forward(step.stage, step.shipment);
    },
    handleChargeResult: chargeResult,
  };
}

/** What a charge attempt sends: the order's moves to tracking, and the charge request to payments (idempotent by its id). */
export function chargeMessages(order: OrderDoc, attempt: number): NewMessage[] {
  const orderId = order._id.toHexString();
  const requestId = orderChargeId(orderId, attempt);
  const { token, last4, expMonth, expYear } = order.paymentMethod;
  return [
    attempt === 1
      ? track(orderMove(order, null, 'PLACED'), orderMove(order, PLACEMENT_MOVE.from, PLACEMENT_MOVE.to))
      : track(orderMove(order, 'PAYMENT_DECLINED', 'CHARGING', { key: retryKey('PAYMENT_DECLINED', attempt) })),
    {
      id: `charge-request:${requestId}`,
      target: 'payments',
      operation: operations.requestCharge,
      variables: { input: { requestId, orderId, amount: order.total, card: { token, last4, expMonth, expYear }, replyTo: 'orders.charge-results' } },
    },
  ];
}

/**
 * Moves the order to CHARGING for `attempt` (with the card the customer paid again with), unless it
 * is past that; null then. Its charge step makes this move, or finds it made by `payOrder`, which
 * makes it as soon as it has stored the step, so that its answer says what it started. The move is
 * written as sent: the step's messages carry it to tracking, with the charge request.
 */
export function moveToCharging(store: OrderStore, order: OrderDoc, attempt: number, paidAgain?: PaidAgain): Promise<OrderDoc | null> {
  return store.change(
    order._id,
    (current) =>
      chargeable(current, attempt)
        ? {
            status: 'CHARGING',
            stage: 'payments',
            chargeAttempts: attempt,
            // The customer's card for this attempt (payOrder), written with the move so a re-run charges the same.
            ...(paidAgain ? { paymentMethod: paidAgain.paymentMethod } : {}),
            transition: { detail: paidAgain ? PAID_AGAIN : null, key: retryKey(current.status, attempt), carried: true },
          }
        : null,
    order,
  );
}

/**
 * Whether a charge attempt may move the order to CHARGING: from PLACED, or from a decline of an
 * earlier attempt. Not from a decline of this one: its result came already (the step ran after
 * it, as when placeOrder sent the request and tracking did not take the moves), and asking again
 * by the same id would get no new answer.
 */
function chargeable(order: OrderDoc, attempt: number): boolean {
  const attempts = order.chargeAttempts ?? 0;
  if (order.status === 'PAYMENT_DECLINED' || order.status === 'PLACED') return attempts < attempt;
  return order.status === 'CHARGING' && attempts <= attempt;
}

/** How the exception of an order that waited for stock is closed when the stock came in and was reserved. */
export const RESTOCKED = 'stock came in: the order was reserved again automatically';

/**
 * Why a charge attempt after a decline was made, as its transition and the closed exception say
 * it. Not which card: warehouse staff read transitions' details, and not how orders were paid.
 */
const PAID_AGAIN = 'the customer paid again';

/** The key that tells a charge attempt after a decline from the first (as in its transition's id). */
function retryKey(from: string, attempt: number): string | undefined {
  return from === 'PAYMENT_DECLINED' ? `attempt-${attempt}` : undefined;
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
        addressVersion: order.addressVersion ?? 0,
        picklistId: null,
      };
      byCenter.set(allocation.distributionCenter, shipment);
    }
    shipment.lines.push({ sku: line.sku, title: line.title, quantity: allocation.quantity, weightGrams: line.weightGrams, bin: allocation.bin });
  }
  return [...byCenter.values()];
}
