import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCachedSubgraphs } from '../gateway/read-mostly-cache.ts';
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
    expect(codes(await change('', 100))).toEqual(['BAD_USER_INPUT']);
    const inCurrency = (currency: string) =>
      gql(system.gatewayUrl, `mutation($price: MoneyInput!) { changePrice(sku: "MUG-001", price: $price) { sku } }`, { price: { amount: 100, currency } });
    expect(codes(await inCurrency('ZZZ'))).toEqual(['BAD_USER_INPUT']);
    // Every line of an order is priced in one currency: a product keeps its own.
    expect(codes(await inCurrency('USD'))).toEqual(['BAD_USER_INPUT']);
    expect(await priceOf('MUG-001')).toBe(before);
  });

  it('answers each of many concurrent price changes with the price it set, and the last one stays', async () => {
    const amounts = Array.from({ length: 10 }, (_, i) => 2000 + i);
    const answers = await Promise.all(amounts.map((amount) => changePrice('LAMP-001', amount)));
    expect(answers).toEqual(amounts);
    expect(amounts).toContain(await priceOf('LAMP-001'));
  });
});

/**
 * A network between the gateway and one subgraph that can hold back the answer to one read after
 * the subgraph gave it: the slow answer that makes a read and a change overlap.
 */
class SlowLink {
  private server!: Server;
  url = '';
  /** Reads (not mutations) that reached the subgraph. */
  reads: string[] = [];
  private held?: { match: string; reached: () => void; release: Promise<void> };

  constructor(private readonly target: string) {}

  async start() {
    this.server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const mutation = body.startsWith('{"query":"mutation');
      if (!mutation) this.reads.push(body);
      const upstream = await fetch(this.target, { method: 'POST', headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body });
      const text = await upstream.text();
      const held = this.held;
      if (held && !mutation && body.includes(held.match)) {
        this.held = undefined;
        held.reached();
        await held.release;
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/graphql`;
  }

  /** Holds the answer of the next read that mentions `match`; `reached` once the subgraph answered it. */
  holdNext(match: string) {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    this.held = { match, reached, release: released };
    return { arrived, release };
  }

  close() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a read sent after a change answered is answered after the change, on a slow network', () => {
  const through = async (subgraph: 'catalog' | 'orders') => {
    const link = new SlowLink(system.urls[subgraph]);
    await link.start();
    const endpoints = Object.entries(system.urls).map(([name, url]) => ({ name, url: name === subgraph ? link.url : url }));
    const gateway = await system.startGateway({ endpoints, cache: defaultCachedSubgraphs });
    return { link, gateway };
  };

  it('a cached subgraph: the read does not join the fetch sent before the change, nor is its old answer kept', async () => {
    const { link, gateway } = await through('catalog');
    try {
      const price = async () =>
        (await gql(gateway.url, `query($sku: String!) { product(sku: $sku) { price { amount } } }`, { sku: 'BOOK-001' }, { token: grace })).data!.product.price.amount as number;
      const change = async (amount: number) =>
        expect((await gql(gateway.url, `mutation { changePrice(sku: "BOOK-001", price: { amount: ${amount}, currency: "GBP" }) { sku } }`)).errors).toBeUndefined();
      const before = await price();
      await change(before + 1); // and the cache is empty: the next read goes to the catalog
      const held = link.holdNext('BOOK-001');
      const first = price();
      await held.arrived;
      await change(before + 500);
      const second = price();
      await new Promise((resolve) => setTimeout(resolve, 100));
      held.release();
      expect(await first).toBe(before + 1);
      expect(await second).toBe(before + 500);
      expect(await price()).toBe(before + 500);
    } finally {
      await gateway.close();
      await link.close();
    }
  });

  it('any subgraph: a customer sees the order she just placed, though a read of her list was still on its way', async () => {
    const { link, gateway } = await through('orders');
    const ada = await userToken({ role: 'customer', customerId: demo.customers.ada });
    try {
      const list = `query($id: ID!) { customer(id: $id) { orders(first: 50) { edges { node { id } } } } }`;
      const ids = async () =>
        ((await gql(gateway.url, list, { id: demo.customers.ada }, { token: ada })).data!.customer.orders.edges as { node: { id: string } }[]).map((e) => e.node.id);
      await ids();
      const held = link.holdNext('orders');
      const first = ids();
      await held.arrived;
      const placed = await gql(
        gateway.url,
        `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
        { input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: 'MUG-001', quantity: 1 }] } },
        { token: ada },
      );
      expect(placed.errors).toBeUndefined();
      const second = ids();
      await new Promise((resolve) => setTimeout(resolve, 100));
      held.release();
      await first;
      expect(await second).toContain(placed.data!.placeOrder.id);
    } finally {
      await gateway.close();
      await link.close();
    }
  });
});
