import { createHash } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { idFromKey, parseId } from '../../kit/ids.ts';
import { isDuplicateKeyError } from '../../kit/mongo.ts';
import { addressAsOneLine, refuseUnserved, type ShippingCountries } from '../../pipeline/postal-address.ts';
import type { Logger } from '../../kit/logger.ts';
import { chargeMessages } from './coordinator.ts';
import { orderMove } from './order-transitions.ts';
import { usablePaymentMethod, type Directory } from './dependencies.ts';
import { chargingOnPlacement, PLACEMENT_MOVE, placementUnsent, type OrderDoc, type OrderLineDoc, type OrderStore } from './store.ts';
import { asOneLine, clientKey } from '../../kit/storable-text.ts';

export interface PlaceOrderRequest {
  customerId: string;
  paymentMethodId: string;
  shippingAddressId?: string | null;
  lines: { sku: string; quantity: number }[];
  shippingMethod?: 'STANDARD' | 'EXPRESS' | null;
  idempotencyKey?: string | null;
  /** The total the customer was shown: an order that would cost anything else is refused (CONFLICT). */
  expectedTotal?: { amount: number; currency: string } | null;
}

/** GraphQL's Int is 32-bit: no amount the order stores may exceed what it can return. */
const MAX_INT = 2_147_483_647;
const SKU = /^[A-Z0-9][A-Z0-9-]{1,39}$/;

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;

/**
 * Validates everything before writing anything: the input's shape first (no calls),
 * then the customer, card and skus through their services (in parallel), and only
 * then one insert. Any failure leaves the orders database untouched.
 *
 * A retry (the same idempotency key) is found by that insert, which its key's id makes fail,
 * not by a lookup first: a lookup before every placement was one database request in 70 of
 * an order's, to spare the rare retry two calls. A retry whose checks fail now (the card
 * expired since, a service is down) still gets the order its first attempt placed.
 *
 * Once the order is stored, nothing fails the placement: what is left (the first charge request,
 * see `handOn`) is finished by the orders worker's sweep if this process cannot finish it.
 */
export async function placeOrder(request: PlaceOrderRequest, directory: Directory, store: OrderStore, logger: Logger, shippingCountries: ShippingCountries = null): Promise<OrderDoc> {
  const lines = checkLines(request.lines);
  parseId(request.customerId, 'customerId');
  const idempotencyKey = checkIdempotencyKey(request.idempotencyKey, request.customerId);
  const requestHash = hashRequest(request, lines);
  let order: OrderDoc;
  try {
    order = await checkedOrder(request, lines, directory, { idempotencyKey, requestHash, shippingCountries });
  } catch (error) {
    // (The lookup failing too, what the checks said is the answer.)
    const existing = idempotencyKey ? await store.findByIdempotencyKey(idempotencyKey).catch(() => null) : null;
    if (existing) return resumeOrConflict(existing, requestHash, store, logger);
    throw error;
  }
  // Where this process can call payments, it sends the first charge request itself.
  if (store.chargesOnPlacement) order = chargingOnPlacement(order);
  try {
    await store.insert(order);
  } catch (error) {
    // Placed already, by an earlier attempt or a concurrent retry with the same key: answer with that order.
    if (isDuplicateKeyError(error) && idempotencyKey) {
      const existing = await store.findByIdempotencyKey(idempotencyKey);
      if (existing) return resumeOrConflict(existing, requestHash, store, logger);
    }
    throw error;
  }
  await handOn(order, store, logger);
  return order;
}

/**
 * Sets a stored order on its way; never throws (the sweep finishes what fails here). An order
 * placed CHARGING has its first charge request sent to payments at once, and its first moves to
 * tracking at once or, where tracking does not take them, to the outbox for it, as every move of
 * the order's own: no coordinator's step, whose enqueue, lease, completion and delivery record
 * cost an order 6 to 7 of its 68 database requests. Where payments did not take the request, the
 * coordinator's first step sends it and the moves (payments takes a request once by its id,
 * tracking a move once by its id). The placement does not wait for the write that marks the move
 * sent: the mark only spares the sweep a step that would send both again. A crash before it leaves
 * the move unsent, and the orders worker's sweep starts that step (sweepUnsentTransitions).
 */
async function handOn(order: OrderDoc, store: OrderStore, logger: Logger): Promise<void> {
  const notYet = (error: unknown) =>
    logger.warn('an order was stored but not yet set on its way; the orders worker sweep will', { orderId: order._id.toHexString(), error: error instanceof Error ? error.message : String(error) });
  try {
    if (order.status === 'CHARGING') {
      const [moves, charge] = chargeMessages(order, 1);
      const told = `order-transition:${orderMove(order, PLACEMENT_MOVE.from, PLACEMENT_MOVE.to).id}`;
      const [, taken] = await Promise.all([store.toTracking(told, moves!), store.chargeNow(charge!, store.coordination)]);
      if (taken) {
        void store.markTransitionsSent(order, [PLACEMENT_MOVE]).catch(notYet);
        return;
      }
    }
    await store.startJourney(order._id.toHexString());
  } catch (error) {
    notYet(error);
  }
}

/** The order as it would be stored, after checking the customer, card and skus with their services; throws what is wrong. */
async function checkedOrder(
  request: PlaceOrderRequest,
  lines: PlaceOrderRequest['lines'],
  directory: Directory,
  { idempotencyKey, requestHash, shippingCountries }: { idempotencyKey: string | null; requestHash: string; shippingCountries: ShippingCountries },
): Promise<OrderDoc> {
  const [customer, products] = await Promise.all([
    directory.customer(request.customerId),
    directory.products(lines.map((line) => line.sku)),
  ]);
  if (!customer) throw notFound(`no customer with id ${request.customerId}`, { field: 'customerId' });

  const payment = usablePaymentMethod(customer, request.paymentMethodId);

  const address = request.shippingAddressId
    ? customer.addresses.find((candidate) => candidate.id === request.shippingAddressId)
    : customer.addresses[0];
  if (!address) {
    throw request.shippingAddressId
      ? notFound(`customer ${customer.id} has no address ${request.shippingAddressId}`, { field: 'shippingAddressId' })
      : badInput(`customer ${customer.id} has no address to ship to; add one first`, 'shippingAddressId');
  }
  refuseUnserved(address.country, shippingCountries, 'shippingAddressId');
  const printable = addressAsOneLine(address);

  const bySku = new Map(products.map((product) => [product.sku, product]));
  const unknown = lines.filter((line) => !bySku.has(line.sku)).map((line) => line.sku);
  if (unknown.length) throw notFound(`unknown sku: ${unknown.join(', ')}`, { field: 'lines', skus: unknown });

  const priced: OrderLineDoc[] = lines.map((line) => {
    const product = bySku.get(line.sku)!;
    return { sku: line.sku, title: asOneLine(product.title), weightGrams: product.weightGrams, quantity: line.quantity, unitPrice: product.price };
  });
  const currencies = new Set(priced.map((line) => line.unitPrice.currency));
  if (currencies.size > 1) throw badInput(`all lines must be priced in one currency; got ${[...currencies].join(', ')}`, 'lines');
  const total = priced.reduce((sum, line) => sum + line.unitPrice.amount * line.quantity, 0);
  // Every order is charged before it is reserved, and payments takes no charge of nothing: a free
  // order would wait in CHARGING for ever.
  if (total === 0) throw badInput('the order total is 0: there is nothing to charge; free items can be ordered with something that has a price', 'lines');
  if (total > MAX_INT) throw badInput(`the order total is too large to accept (over ${MAX_INT} minor units); split it into several orders`, 'lines');
  refuseUnexpectedTotal(request.expectedTotal, { amount: total, currency: priced[0]!.unitPrice.currency });
  // A shipment's weight is an Int on the graph: one past it would be shipped, then unreadable.
  const weight = priced.reduce((sum, line) => sum + line.weightGrams * line.quantity, 0);
  if (weight > MAX_INT) throw badInput(`the order weighs too much to ship (over ${MAX_INT} g); split it into several orders`, 'lines');

  const now = new Date();
  return {
    // With a client key the id is derived from it, so two racing retries create one order.
    _id: idempotencyKey ? idFromKey(idempotencyKey) : new ObjectId(),
    version: 0,
    idempotencyKey: idempotencyKey ?? new ObjectId().toHexString(),
    requestHash,
    status: 'PLACED',
    stage: 'orders',
    customerId: customer.id,
    customerEmail: customer.email,
    lines: priced,
    total: { amount: total, currency: priced[0]!.unitPrice.currency },
    shippingMethod: request.shippingMethod ?? 'STANDARD',
    // What goes on labels, as one line each even if stored before the customers service checked it.
    shippingAddress: { name: asOneLine(customer.name), line1: printable.line1, line2: printable.line2 ?? null, city: printable.city, postalCode: printable.postalCode, country: printable.country },
    paymentMethod: payment,
    chargeAttempts: 0,
    chargeId: null,
    shipments: [],
    placedAt: now,
    updatedAt: now,
  };
}

/** The orders worker's sweep: starts the journey of each order PLACED before `olderThan` that a crash left without its first step. */
export async function sweepStalledJourneys(store: OrderStore, olderThan: Date): Promise<void> {
  const stale = await store.stalePlaced(olderThan, 100);
  await Promise.all(stale.map((order) => store.ensureJourney(order._id.toHexString())));
}

function checkLines(lines: PlaceOrderRequest['lines']): PlaceOrderRequest['lines'] {
  if (lines.length === 0) throw badInput('an order needs at least one line', 'lines');
  if (lines.length > MAX_LINES) throw badInput(`an order may have at most ${MAX_LINES} lines`, 'lines');
  const seen = new Set<string>();
  return lines.map((line, index) => {
    const sku = line.sku.trim().toUpperCase();
    if (!sku) throw badInput(`lines[${index}].sku must not be empty`, `lines.${index}.sku`);
    if (seen.has(sku)) throw badInput(`sku ${sku} appears on more than one line; use one line with the total quantity`, `lines.${index}.sku`);
    seen.add(sku);
    if (!SKU.test(sku)) throw badInput(`lines[${index}].sku "${line.sku}" is not a valid sku (letters, digits and dashes)`, `lines.${index}.sku`);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw badInput(`lines[${index}].quantity must be between 1 and ${MAX_QUANTITY}, got ${line.quantity}`, `lines.${index}.quantity`);
    }
    return { sku, quantity: line.quantity };
  });
}

/** Keys are scoped to the customer: two customers' clients may well pick the same key. */
function checkIdempotencyKey(key: string | null | undefined, customerId: string): string | null {
  if (key == null) return null;
  return `client:${customerId}:${clientKey(key, 'idempotencyKey')}`;
}

/**
 * A retry returns the original order (and makes sure its journey started: the first
 * attempt may have died between storing the order and handing it on); reusing a key
 * for a different request is a mistake worth reporting.
 */
async function resumeOrConflict(existing: OrderDoc, requestHash: string, store: OrderStore, logger: Logger): Promise<OrderDoc> {
  if (existing.requestHash !== requestHash) {
    throw clientError(ErrorCode.CONFLICT, 'this idempotencyKey was already used for a different order', { field: 'idempotencyKey' });
  }
  if (existing.status === 'PLACED' || placementUnsent(existing)) await handOn(existing, store, logger);
  return existing;
}

/**
 * The customer was shown another total (a price changed since they looked, or a gateway's cache
 * still showed the old one): they are told what it costs now rather than charged it.
 */
function refuseUnexpectedTotal(expected: PlaceOrderRequest['expectedTotal'], total: { amount: number; currency: string }): void {
  if (!expected || (expected.amount === total.amount && expected.currency.trim().toUpperCase() === total.currency)) return;
  throw clientError(ErrorCode.CONFLICT, `the order costs ${total.amount} ${total.currency} now, not the ${expected.amount} ${expected.currency} shown: a price changed; show the new total and place it again`, {
    field: 'expectedTotal',
    total,
  });
}

function hashRequest(request: PlaceOrderRequest, lines: PlaceOrderRequest['lines']): string {
  const canonical = {
    customerId: request.customerId,
    paymentMethodId: request.paymentMethodId,
    shippingAddressId: request.shippingAddressId ?? null,
    shippingMethod: request.shippingMethod ?? 'STANDARD',
    lines: [...lines].sort((a, b) => a.sku.localeCompare(b.sku)),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
