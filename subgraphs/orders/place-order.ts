import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { isDuplicateKeyError } from '../../kit/mongo.ts';
import type { Directory } from './dependencies.ts';
import type { OrderDoc, OrderLineDoc, OrderStore } from './store.ts';

export interface PlaceOrderRequest {
  customerId: string;
  paymentMethodId: string;
  shippingAddressId?: string | null;
  lines: { sku: string; quantity: number }[];
  idempotencyKey?: string | null;
}

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;

/**
 * Validates everything before writing anything: the input's shape first (no calls),
 * then the customer, card and skus through their services (in parallel), and only
 * then one insert. Any failure leaves the orders database untouched.
 */
export async function placeOrder(request: PlaceOrderRequest, directory: Directory, store: OrderStore): Promise<OrderDoc> {
  const lines = checkLines(request.lines);
  parseId(request.customerId, 'customerId');
  const idempotencyKey = checkIdempotencyKey(request.idempotencyKey);
  if (idempotencyKey) {
    const existing = await store.findByIdempotencyKey(idempotencyKey);
    if (existing) return sameRequestOrConflict(existing, request);
  }

  const [customer, products] = await Promise.all([
    directory.customer(request.customerId),
    directory.products(lines.map((line) => line.sku)),
  ]);
  if (!customer) throw notFound(`no customer with id ${request.customerId}`, { field: 'customerId' });

  const payment = customer.paymentMethods.find((method) => method.id === request.paymentMethodId);
  if (!payment) throw notFound(`customer ${customer.id} has no payment method ${request.paymentMethodId}`, { field: 'paymentMethodId' });
  if (payment.expired) {
    throw clientError(ErrorCode.PAYMENT_METHOD_EXPIRED, `the ${payment.brand} card ending ${payment.last4} expired ${payment.expMonth}/${payment.expYear}`, {
      field: 'paymentMethodId',
    });
  }

  const address = request.shippingAddressId
    ? customer.addresses.find((candidate) => candidate.id === request.shippingAddressId)
    : customer.addresses[0];
  if (!address) {
    throw request.shippingAddressId
      ? notFound(`customer ${customer.id} has no address ${request.shippingAddressId}`, { field: 'shippingAddressId' })
      : badInput(`customer ${customer.id} has no address to ship to; add one first`, 'shippingAddressId');
  }

  const bySku = new Map(products.map((product) => [product.sku, product]));
  const unknown = lines.filter((line) => !bySku.has(line.sku)).map((line) => line.sku);
  if (unknown.length) throw notFound(`unknown sku: ${unknown.join(', ')}`, { field: 'lines', skus: unknown });

  const priced: OrderLineDoc[] = lines.map((line) => {
    const product = bySku.get(line.sku)!;
    return { sku: line.sku, title: product.title, weightGrams: product.weightGrams, quantity: line.quantity, unitPrice: product.price };
  });
  const currencies = new Set(priced.map((line) => line.unitPrice.currency));
  if (currencies.size > 1) throw badInput(`all lines must be priced in one currency; got ${[...currencies].join(', ')}`, 'lines');

  const order: OrderDoc = {
    _id: new ObjectId(),
    idempotencyKey: idempotencyKey ?? new ObjectId().toHexString(),
    status: 'PLACED',
    customerId: customer.id,
    customerEmail: customer.email,
    lines: priced,
    total: { amount: priced.reduce((sum, line) => sum + line.unitPrice.amount * line.quantity, 0), currency: priced[0]!.unitPrice.currency },
    shippingAddress: { name: customer.name, line1: address.line1, line2: address.line2 ?? null, city: address.city, postalCode: address.postalCode, country: address.country },
    paymentMethod: { id: payment.id, token: payment.token, brand: payment.brand, last4: payment.last4, expMonth: payment.expMonth, expYear: payment.expYear },
    placedAt: new Date(),
  };
  try {
    return await store.insert(order);
  } catch (error) {
    // A concurrent retry with the same key won the race: answer with its order.
    if (isDuplicateKeyError(error) && idempotencyKey) {
      const existing = await store.findByIdempotencyKey(idempotencyKey);
      if (existing) return sameRequestOrConflict(existing, request);
    }
    throw error;
  }
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
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw badInput(`lines[${index}].quantity must be between 1 and ${MAX_QUANTITY}, got ${line.quantity}`, `lines.${index}.quantity`);
    }
    return { sku, quantity: line.quantity };
  });
}

function checkIdempotencyKey(key: string | null | undefined): string | null {
  if (key == null) return null;
  const trimmed = key.trim();
  if (!trimmed || trimmed.length > 100) throw badInput('idempotencyKey must be 1 to 100 characters', 'idempotencyKey');
  return `client:${trimmed}`;
}

/** A retry returns the original order; reusing a key for a different order is a mistake worth reporting. */
function sameRequestOrConflict(existing: OrderDoc, request: PlaceOrderRequest): OrderDoc {
  if (existing.customerId !== request.customerId) {
    throw clientError(ErrorCode.CONFLICT, 'this idempotencyKey was already used for another order', { field: 'idempotencyKey' });
  }
  return existing;
}
