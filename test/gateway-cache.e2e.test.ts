import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { codes, gql, TestDatabases, userToken } from './harness.ts';
import { placeOrder, startSystem, type RunningSystem } from './system.ts';

// The gateway caches the answers of read-mostly subgraphs (catalog, vendors) and shares identical
// reads in flight. What a user must never notice: a price that changed and still shows the old one.

const dbs = new TestDatabases();
let system: RunningSystem;
let grace: string;

beforeAll(async () => {
  system = await startSystem(dbs, { workers: false });
  grace = await userToken({ role: 'customer', customerId: demo.customers.grace });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

/** The price a caller reads: anonymous unless given a token. */
const priceOf = async (sku: string, token: string | null = null) => {
  const res = await gql(system.gatewayUrl, `query($sku: String!) { product(sku: $sku) { price { amount } vendor { name } } }`, { sku }, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.product.price.amount as number;
};
const changePrice = async (sku: string, amount: number) => {
  const res = await gql(system.gatewayUrl, `mutation($sku: String!, $price: MoneyInput!) { changePrice(sku: $sku, price: $price) { sku price { amount currency } } }`, {
    sku,
    price: { amount, currency: 'GBP' },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.changePrice.price.amount as number;
};

describe('cached catalogue reads at the gateway', () => {
  it('shows a changed price to every caller as soon as the change has answered, in products and in orders', async () => {
    const orderId = await placeOrder(system.gatewayUrl, [{ sku: 'LAMP-001', quantity: 1 }]);
    const linePrice = async () => {
      const res = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { lines { unitPrice { amount } product { price { amount } } } } }`, { id: orderId });
      expect(res.errors).toBeUndefined();
      return res.data!.order.lines[0] as { unitPrice: { amount: number }; product: { price: { amount: number } } };
    };
    const before = await priceOf('LAMP-001');
    // Warm every cached path: anonymous, a customer, and the entity fetch behind an order's lines.
    for (let i = 0; i < 3; i++) {
      expect(await priceOf('LAMP-001')).toBe(before);
      expect(await priceOf('LAMP-001', grace)).toBe(before);
      expect((await linePrice()).product.price.amount).toBe(before);
    }

    expect(await changePrice('LAMP-001', before + 100)).toBe(before + 100);
    expect(await priceOf('LAMP-001')).toBe(before + 100);
    expect(await priceOf('LAMP-001', grace)).toBe(before + 100);
    const line = await linePrice();
    expect(line.product.price.amount).toBe(before + 100);
    // The order keeps the price it was placed at.
    expect(line.unitPrice.amount).toBe(before);
  });

  it('never shows the old price after the change answered, with readers racing the change', async () => {
    let reading = true;
    const readers = Array.from({ length: 6 }, async (_, i) => {
      while (reading) await priceOf('BOOK-002', i % 2 ? grace : null);
    });
    try {
      for (let round = 1; round <= 8; round++) {
        const amount = 1000 + round;
        await changePrice('BOOK-002', amount);
        const seen = await Promise.all([priceOf('BOOK-002'), priceOf('BOOK-002', grace), priceOf('BOOK-002'), priceOf('BOOK-002', grace)]);
        expect(seen).toEqual([amount, amount, amount, amount]);
      }
    } finally {
      reading = false;
      await Promise.all(readers);
    }
  });

  it('refuses a bad price change with a coded error and changes nothing', async () => {
    const before = await priceOf('MUG-001');
    const change = (sku: string, amount: number, token?: string | null) =>
      gql(system.gatewayUrl, `mutation($sku: String!, $price: MoneyInput!) { changePrice(sku: $sku, price: $price) { sku } }`, { sku, price: { amount, currency: 'GBP' } }, { token });
    expect(codes(await change('NO-SUCH-SKU', 100))).toEqual(['NOT_FOUND']);
    expect(codes(await change('MUG-001', -1))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await change('MUG-001', 1.5))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await change('MUG-001', 1, grace))).toEqual(['FORBIDDEN']);
    expect(codes(await change('MUG-001', 1, null))).toEqual(['UNAUTHENTICATED']);
    expect(await priceOf('MUG-001')).toBe(before);
  });
});
