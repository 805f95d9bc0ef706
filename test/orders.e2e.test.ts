import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { onMongoCommand } from '../kit/mongo-command-hooks.ts';
import { codes, eventually, gql, serviceToken, TestDatabases, userToken } from './harness.ts';
import { startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;

beforeAll(async () => {
  // Placement only: no workers, so orders stay CHARGING (their charge request waits at payments) and nothing else writes to them.
  system = await startSystem(dbs, { workers: [] });
});
afterAll(async () => {
  await system.close();
  await dbs.cleanup();
});
beforeEach(async () => {
  await system.ordersStore.orders.deleteMany({});
});

const placeOrder = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) { id status total { amount currency } }
  }
`;

const composedOrder = /* GraphQL */ `
  query Order($id: ID!) {
    order(id: $id) {
      id
      status
      total { amount currency }
      shippingAddress { name city country }
      paymentMethod { brand last4 }
      customer { name email }
      lines {
        quantity
        unitPrice { amount currency }
        lineTotal { amount }
        product { sku title price { amount currency } vendor { name } stock { onHand available } }
      }
    }
  }
`;

const validInput = {
  customerId: demo.customers.ada,
  paymentMethodId: 'p00000000000000000000001',
  lines: [
    { sku: 'BOOK-001', quantity: 1 },
    { sku: 'MUG-001', quantity: 3 },
  ],
};

const orderCount = () => system.ordersStore.orders.countDocuments();

describe('placing an order through the gateway', () => {
  it('stores the order priced from the catalog and reads it back composed from four subgraphs', async () => {
    const placed = await gql(system.gatewayUrl, placeOrder, { input: validInput });
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeOrder).toMatchObject({ status: 'CHARGING', total: { amount: 4599 + 3 * 1250, currency: 'GBP' } });

    const read = await gql(system.gatewayUrl, composedOrder, { id: placed.data!.placeOrder.id });
    expect(read.errors).toBeUndefined();
    expect(read.data!.order).toEqual({
      id: placed.data!.placeOrder.id,
      status: 'CHARGING',
      total: { amount: 8349, currency: 'GBP' },
      shippingAddress: { name: 'Ada Lovelace', city: 'London', country: 'GB' },
      paymentMethod: { brand: 'VISA', last4: '4242' },
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      lines: [
        {
          quantity: 1,
          unitPrice: { amount: 4599, currency: 'GBP' },
          lineTotal: { amount: 4599 },
          product: { sku: 'BOOK-001', title: 'Distributed Systems, 3rd ed.', price: { amount: 4599, currency: 'GBP' }, vendor: { name: 'Acme Books Distribution' }, stock: { onHand: 52, available: 52 } },
        },
        {
          quantity: 3,
          unitPrice: { amount: 1250, currency: 'GBP' },
          lineTotal: { amount: 3750 },
          product: { sku: 'MUG-001', title: 'Manifesto Mug', price: { amount: 1250, currency: 'GBP' }, vendor: { name: 'Globex Homeware' }, stock: { onHand: 380, available: 380 } },
        },
      ],
    });
  });

  it('lists a customer\'s orders on the customer entity', async () => {
    const placed = await gql(system.gatewayUrl, placeOrder, { input: validInput });
    const res = await gql(system.gatewayUrl, `query($id: ID!) { customer(id: $id) { name orders { edges { node { id } } } } }`, { id: demo.customers.ada });
    expect(res.data!.customer).toEqual({ name: 'Ada Lovelace', orders: { edges: [{ node: { id: placed.data!.placeOrder.id } }] } });
  });

  it('puts one printable line on the label from a name and address stored before they were checked', async () => {
    const customers = system.services.customers.store.customers;
    const ada = new ObjectId(demo.customers.ada);
    const before = (await customers.findOne({ _id: ada }))!;
    // As an earlier version let them in: a tab, a direction override, a zero-width space, a line break.
    await customers.updateOne({ _id: ada }, { $set: { name: 'Ada\tLove\u202Elace\u200B', 'addresses.0.line1': '12 St James\r\nSquare' } });
    try {
      const placed = await gql(system.gatewayUrl, placeOrder, { input: validInput });
      expect(placed.errors).toBeUndefined();
      const stored = await system.ordersStore.orders.findOne({ _id: new ObjectId(placed.data!.placeOrder.id) });
      expect(stored!.shippingAddress).toMatchObject({ name: 'Ada Lovelace', line1: '12 St James Square' });
    } finally {
      await customers.updateOne({ _id: ada }, { $set: { name: before.name, addresses: before.addresses } });
    }
  });

  it('reads nothing of its own before storing a new order; a retry whose card has expired since still gets the order placed', async () => {
    // What the placement asks of the orders database, in order.
    const asked: string[] = [];
    let watching = true;
    onMongoCommand(({ database, name }) => {
      if (watching && database === system.ordersStore.orders.dbName) asked.push(name);
      return undefined;
    });
    const input = { ...validInput, idempotencyKey: 'checkout-expiring' };
    let first;
    try {
      first = await gql(system.gatewayUrl, placeOrder, { input });
    } finally {
      watching = false;
    }
    expect(first.errors).toBeUndefined();
    // The key's order is looked for only when its insert is refused (a retry); before, every placement looked first.
    expect(asked.slice(0, asked.indexOf('insert'))).not.toContain('find');

    const customers = system.services.customers.store.customers;
    const ada = new ObjectId(demo.customers.ada);
    const before = (await customers.findOne({ _id: ada }))!;
    await customers.updateOne({ _id: ada }, { $set: { paymentMethods: before.paymentMethods.map((method) => ({ ...method, expYear: 2001 })) } });
    try {
      // A new order with that card is refused...
      expect(codes(await gql(system.gatewayUrl, placeOrder, { input: validInput }))).toEqual(['PAYMENT_METHOD_EXPIRED']);
      // ...but the retry of one placed before it expired answers with that order, as before.
      const retry = await gql(system.gatewayUrl, placeOrder, { input });
      expect(retry.errors).toBeUndefined();
      expect(retry.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
      expect(await orderCount()).toBe(1);
    } finally {
      await customers.updateOne({ _id: ada }, { $set: { paymentMethods: before.paymentMethods } });
    }
  });

  it('sends the first charge request to payments itself as it places the order, with no coordinator step; with tracking down, the moves go by the outbox; with payments down, the step carries both', async () => {
    const historyOf = async (id: string) => {
      const res = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status history { from to } } }`, { id });
      expect(res.errors).toBeUndefined();
      return res.data!.order as { status: string; history: { from: string | null; to: string }[] };
    };
    /** An order placed while the service is down (it is back once placed); the placement answers as ever. */
    const placedWhileDown = async (service: 'tracking' | 'payments') => {
      await system.stop(service);
      try {
        const res = await gql(system.gatewayUrl, placeOrder, { input: validInput });
        expect(res.errors).toBeUndefined();
        expect(res.data!.placeOrder.status).toBe('CHARGING');
        return res.data!.placeOrder.id as string;
      } finally {
        await system.restart(service);
      }
    };
    const placed = await gql(system.gatewayUrl, placeOrder, { input: validInput });
    expect(placed.errors).toBeUndefined();
    const id = placed.data!.placeOrder.id as string;
    // Payments holds the request already (no payments worker runs here to charge it); tracking has both moves.
    expect(await system.services.payments.store.requests.get(`${id}:charge:1`)).toMatchObject({ status: 'READY', payload: { orderId: id, replyTo: 'orders.charge-results', amount: { amount: 8349 } } });
    expect(await historyOf(id)).toEqual({ status: 'CHARGING', history: [{ from: null, to: 'PLACED' }, { from: 'PLACED', to: 'CHARGING' }] });
    expect(await system.ordersStore.coordination.get(`charge:${id}:1`)).toBeNull();
    // Marked sent by a write the answer did not wait for (until then, only the sweep would look at it, after 30 s).
    await eventually(() => system.ordersStore.findById(new ObjectId(id)), (order) => order!.transitionsUnsent === undefined);

    const untracked = await placedWhileDown('tracking');
    // Payments has the request, so no step; the moves wait in the orders service's outbox for tracking.
    expect(await system.services.payments.store.requests.get(`${untracked}:charge:1`)).toMatchObject({ status: 'READY' });
    expect(await system.ordersStore.coordination.get(`charge:${untracked}:1`)).toBeNull();
    expect(await system.ordersStore.reports.get(`order-transition:ORDER:${untracked}:PLACED>CHARGING`)).toMatchObject({ outbox: [expect.objectContaining({ target: 'tracking' })] });
    await eventually(() => system.ordersStore.findById(new ObjectId(untracked)), (order) => order!.transitionsUnsent === undefined);

    const waiting = await placedWhileDown('payments');
    // Not taken: the coordinator's first step waits to send it, and the move stays unsent until that step runs.
    expect(await system.ordersStore.coordination.get(`charge:${waiting}:1`)).toMatchObject({ status: 'READY', payload: { kind: 'charge', orderId: waiting } });
    expect(await system.services.payments.store.requests.get(`${waiting}:charge:1`)).toBeNull();
    expect((await system.ordersStore.findById(new ObjectId(waiting)))!.transitionsUnsent).toBe(true);
  });

  it('returns the same order when a retry carries the same idempotency key', async () => {
    const input = { ...validInput, idempotencyKey: 'checkout-123' };
    const [first, second] = await Promise.all([gql(system.gatewayUrl, placeOrder, { input }), gql(system.gatewayUrl, placeOrder, { input })]);
    expect(first.errors).toBeUndefined();
    expect(second.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    expect(await orderCount()).toBe(1);
  });
});

describe('lists of orders, as a frontend pages through them', () => {
  const place = async (idempotencyKey?: string) => {
    const res = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, lines: [{ sku: 'BOOK-001', quantity: 1 }], idempotencyKey } });
    expect(res.errors).toBeUndefined();
    return res.data!.placeOrder.id as string;
  };
  /** One page of the customer's orders through the gateway, as ids. */
  const customerPage = async (first: number, after?: string | null) => {
    const res = await gql(
      system.gatewayUrl,
      `query($id: ID!, $first: Int, $after: String) { customer(id: $id) { orders(first: $first, after: $after) { edges { cursor node { id placedAt } } pageInfo { hasNextPage endCursor } } } }`,
      { id: demo.customers.ada, first, after },
    );
    expect(res.errors).toBeUndefined();
    const { edges, pageInfo } = res.data!.customer.orders as { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    return { ids: edges.map((edge) => edge.node.id), pageInfo };
  };

  it('are newest placed first, whether or not the orders were placed with an idempotency key', async () => {
    const placed: string[] = [];
    // Ids made from keys sort nowhere in particular: the list must not follow them.
    for (const key of ['zz-late-key', undefined, 'aa-key', undefined, 'mm-key', 'checkout-000']) placed.push(await place(key));
    const newestFirst = [...placed].reverse();

    expect((await customerPage(10)).ids).toEqual(newestFirst);
    const top = await gql(system.gatewayUrl, `query($c: ID!) { orders(customerId: $c, first: 10) { edges { node { id } } } all: orders(first: 3) { edges { node { id } } } }`, { c: demo.customers.ada });
    expect(top.errors).toBeUndefined();
    expect(top.data!.orders.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual(newestFirst);
    expect(top.data!.all.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual(newestFirst.slice(0, 3));
  });

  it('page on from a cursor: orders placed meanwhile repeat nothing and skip nothing', async () => {
    const before: string[] = [];
    for (let i = 0; i < 7; i++) before.push(await place(i % 2 ? `page-key-${i}` : undefined));

    const first = await customerPage(3);
    expect(first.ids).toEqual(before.slice(4).reverse());
    expect(first.pageInfo.hasNextPage).toBe(true);
    // New orders arrive while the customer reads on.
    const arrived = [await place('arrived-1'), await place()];
    const second = await customerPage(3, first.pageInfo.endCursor);
    const third = await customerPage(3, second.pageInfo.endCursor);
    expect([...first.ids, ...second.ids, ...third.ids]).toEqual([...before].reverse());
    expect(third.pageInfo).toMatchObject({ hasNextPage: false });
    expect(third.ids).toHaveLength(1);
    // A fresh first page sees them.
    expect((await customerPage(2)).ids).toEqual([...arrived].reverse());
    // Past the end: an empty page, no cursor.
    expect(await customerPage(3, third.pageInfo.endCursor)).toEqual({ ids: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('a cursor that this list did not give is BAD_USER_INPUT', async () => {
    await place();
    const foreign = Buffer.from(JSON.stringify(['exceptions', Date.now(), 'x'])).toString('base64url');
    const badId = Buffer.from(JSON.stringify(['orders', Date.now(), 'not-an-id'])).toString('base64url');
    for (const after of ['garbage!', 'bm90IGpzb24', foreign, badId, '']) {
      const res = await gql(system.gatewayUrl, `query($after: String) { orders(first: 2, after: $after) { edges { node { id } } } }`, { after });
      expect(codes(res), after).toEqual(['BAD_USER_INPUT']);
      const nested = await gql(system.gatewayUrl, `query($id: ID!, $after: String) { customer(id: $id) { orders(after: $after) { edges { node { id } } } } }`, { id: demo.customers.ada, after });
      expect(codes(nested), after).toEqual(['BAD_USER_INPUT']);
    }
    expect(codes(await gql(system.gatewayUrl, `{ orders(first: 0) { edges { cursor } } }`))).toEqual(['BAD_USER_INPUT']);
    // Far past the largest page: the list's own refusal, not a cost the query would never have.
    const huge = await gql(system.gatewayUrl, `query($first: Int) { orders(first: $first) { edges { cursor } } }`, { first: 2_147_483_647 });
    expect(codes(huge)).toEqual(['BAD_USER_INPUT']);
    expect(huge.errors![0]!.message).toMatch(/first must be between 1 and 100/);
    expect(codes(await gql(system.gatewayUrl, `query($first: Int) { orders(first: $first) { edges { cursor } } }`, { first: 1e12 }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('bad input gets a clear error and writes nothing', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['unknown customer', { customerId: '64b0000000000000000000ff' }, 'NOT_FOUND', /no customer/],
    ['malformed customer id', { customerId: 'ada' }, 'BAD_USER_INPUT', /not a valid customerId/],
    ['unknown sku', { lines: [{ sku: 'NOPE-404', quantity: 1 }] }, 'NOT_FOUND', /unknown sku: NOPE-404/],
    ['zero quantity', { lines: [{ sku: 'BOOK-001', quantity: 0 }] }, 'BAD_USER_INPUT', /quantity must be between 1/],
    ['negative quantity', { lines: [{ sku: 'BOOK-001', quantity: -2 }] }, 'BAD_USER_INPUT', /quantity must be between 1/],
    ['empty order', { lines: [] }, 'BAD_USER_INPUT', /at least one line/],
    ['expired payment method', { paymentMethodId: 'p00000000000000000000002' }, 'PAYMENT_METHOD_EXPIRED', /expired 1\/2024/],
    ['another customer\'s card', { paymentMethodId: 'p00000000000000000000003' }, 'NOT_FOUND', /no payment method/],
    // A blank id names nothing: not the customer's default address, nor a card that is missing.
    ['blank address id', { shippingAddressId: '' }, 'BAD_USER_INPUT', /shippingAddressId must not be empty/],
    ['invisible address id', { shippingAddressId: '\u200B' }, 'BAD_USER_INPUT', /shippingAddressId must not be empty/],
    ['blank card id', { paymentMethodId: ' ' }, 'BAD_USER_INPUT', /paymentMethodId must not be empty/],
    // Longer than any id: refused, not looked up (90 KB of it reached the database as a lookup).
    ['card id longer than any id', { paymentMethodId: 'p'.repeat(5_000) }, 'BAD_USER_INPUT', /paymentMethodId must be at most 1000 bytes/],
    ['address id longer than any id', { shippingAddressId: 'a'.repeat(90_000) }, 'BAD_USER_INPUT', /shippingAddressId must be at most 1000 bytes/],
  ];

  it.each(cases)('%s', async (_, override, code, message) => {
    const res = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, ...override } });
    expect(res.data).toBeNull();
    expect(codes(res)).toEqual([code]);
    expect(res.errors![0]!.message).toMatch(message);
    expect(await orderCount()).toBe(0);
  });

  it("a customer's malformed customer id is BAD_USER_INPUT, not another customer's; their own in capitals is theirs, and a retry so written the same order", async () => {
    const ada = { token: await userToken({ role: 'customer', customerId: demo.customers.ada }) };
    const malformed = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, customerId: 'nothex', idempotencyKey: 'malformed' } }, ada);
    expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(await orderCount()).toBe(0);
    const first = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, idempotencyKey: 'capitals' } }, ada);
    const again = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, customerId: demo.customers.ada.toUpperCase(), idempotencyKey: 'capitals' } }, ada);
    expect(again.errors).toBeUndefined();
    expect(again.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    expect(await orderCount()).toBe(1);
  });

  it('an expected total other than what the order costs now is CONFLICT with the total, and places nothing; the same total places it', async () => {
    const total = (await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, idempotencyKey: 'priced-first' } })).data!.placeOrder.total;
    await system.ordersStore.orders.deleteMany({});
    const stale = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, idempotencyKey: 'priced-stale', expectedTotal: { amount: total.amount - 100, currency: total.currency } } });
    expect(codes(stale)).toEqual(['CONFLICT']);
    expect(stale.errors![0]!.extensions).toMatchObject({ field: 'expectedTotal', total });
    expect(await orderCount()).toBe(0);
    const shown = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, idempotencyKey: 'priced-shown', expectedTotal: total } });
    expect(shown.errors).toBeUndefined();
    expect(shown.data!.placeOrder.total).toEqual(total);
  });

  it('a charge result from any caller but payments is FORBIDDEN and queues nothing: it would move the order on', async () => {
    const receive = `mutation($result: ChargeResultInput!) { receiveChargeResult(queue: "charge-results", result: $result) }`;
    const orderId = '64b0000000000000000000fe';
    const result = { requestId: `${orderId}:charge:1`, orderId, outcome: 'APPROVED', chargeId: `${orderId}:charge:1`, amount: { amount: 1, currency: 'GBP' } };
    for (const token of [undefined, await serviceToken('exceptions')]) {
      expect(codes(await gql(system.urls.orders, receive, { result }, { token }))).toEqual(['FORBIDDEN']);
    }
    expect(await system.ordersStore.chargeResults.get(`result:${result.requestId}`)).toBeNull();
    expect((await gql(system.urls.orders, receive, { result }, { token: await serviceToken('payments') })).data).toEqual({ receiveChargeResult: true });
    expect(await system.ordersStore.chargeResults.get(`result:${result.requestId}`)).not.toBeNull();
  });

  it('a lookup by a malformed order id is BAD_USER_INPUT; an unknown one is null', async () => {
    const malformed = await gql(system.gatewayUrl, composedOrder, { id: 'not-an-id' });
    expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
    const unknown = await gql(system.gatewayUrl, composedOrder, { id: '64b0000000000000000000ff' });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.order).toBeNull();
  });

  it('a reused idempotency key with a different order is a CONFLICT, not the old order', async () => {
    const first = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, idempotencyKey: 'k-1' } });
    expect(first.errors).toBeUndefined();
    const other = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, lines: [{ sku: 'LAMP-001', quantity: 5 }], idempotencyKey: 'k-1' } });
    expect(codes(other)).toEqual(['CONFLICT']);
    expect(await orderCount()).toBe(1);
  });

  it('an order total beyond what GraphQL can return is refused before anything is written', async () => {
    const res = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, lines: [{ sku: 'BOOK-001', quantity: 1000 }, { sku: 'LAMP-001', quantity: 1000 }, { sku: 'MUG-001', quantity: 1000 }, { sku: 'BOOK-002', quantity: 1000 }] } });
    expect(res.errors).toBeUndefined(); // 110 million minor units fit; the rule is about 2^31
    const malformedSku = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, lines: [{ sku: 'bad sku!!', quantity: 1 }] } });
    expect(codes(malformedSku)).toEqual(['BAD_USER_INPUT']);
  });

  it('an order that costs nothing is refused before anything is written: there would be no charge to wait for', async () => {
    const added = await gql(system.gatewayUrl, `mutation($input: AddProductInput!) { addProduct(input: $input) { sku } }`, {
      input: { sku: 'SAMPLE-FREE', title: 'Free sample', price: { amount: 0, currency: 'GBP' }, weightGrams: 10, vendorId: demo.vendors.acme },
    });
    expect(added.errors).toBeUndefined();
    const before = await orderCount();
    const free = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, lines: [{ sku: 'SAMPLE-FREE', quantity: 3 }] } });
    expect(codes(free)).toEqual(['BAD_USER_INPUT']);
    expect(free.errors![0]!.message).toMatch(/total is 0: there is nothing to charge/);
    expect(await orderCount()).toBe(before);
    // With something that has a price, the free item comes along.
    const withIt = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, lines: [{ sku: 'SAMPLE-FREE', quantity: 1 }, { sku: 'MUG-001', quantity: 1 }] } });
    expect(withIt.errors).toBeUndefined();
  });

  it('an order heavier than a shipment can say is refused before anything is written', async () => {
    const added = await gql(system.gatewayUrl, `mutation($input: AddProductInput!) { addProduct(input: $input) { sku weightGrams } }`, {
      input: { sku: 'ANVIL-XL', title: 'Anvil, extra large', price: { amount: 100, currency: 'GBP' }, weightGrams: 2_000_000_000, vendorId: demo.vendors.acme },
    });
    expect(added.errors).toBeUndefined();
    // One weighs 2,000,000,000 g, which an Int holds; two do not, and would break every read of their shipment.
    const one = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, lines: [{ sku: 'ANVIL-XL', quantity: 1 }] } });
    expect(one.errors).toBeUndefined();
    const before = await orderCount();
    const two = await gql(system.gatewayUrl, placeOrder, { input: { ...validInput, lines: [{ sku: 'ANVIL-XL', quantity: 2 }] } });
    expect(codes(two)).toEqual(['BAD_USER_INPUT']);
    expect(two.errors![0]!.message).toMatch(/weighs too much to ship/);
    expect(await orderCount()).toBe(before);
  });
});

describe('skus and distribution centres are looked up as they are stored, however they are written', () => {
  it("lists a customer's orders for staff by the customer's id in any case", async () => {
    const placed = await gql(system.gatewayUrl, placeOrder, { input: validInput });
    expect(placed.errors).toBeUndefined();
    const listed = async (customerId: string) =>
      ((await gql(system.gatewayUrl, `query($c: ID!) { orders(customerId: $c, first: 100) { edges { node { id } } } }`, { c: customerId })).data!.orders.edges as { node: { id: string } }[]).map((edge) => edge.node.id);
    const lower = await listed(validInput.customerId);
    expect(lower).toContain(placed.data!.placeOrder.id);
    expect(await listed(validInput.customerId.toUpperCase())).toEqual(lower);
    // A blank customer id is no customer, not every customer's orders (leave it out for those).
    expect(codes(await gql(system.gatewayUrl, `{ orders(customerId: "", first: 5) { edges { cursor } } }`))).toEqual(['BAD_USER_INPUT']);
  });

  it('finds them in any case, and refuses a filter that names nothing', async () => {
    const found = await gql(system.gatewayUrl, `{
      product(sku: "mug-001") { sku }
      products(skus: [" book-001 "]) { edges { node { sku } } }
      bySku: binItems(sku: "mug-001") { edges { node { sku distributionCenter } } }
      byCentre: binItems(distributionCenter: "lhr1", first: 5) { edges { node { distributionCenter } } }
      picklists(distributionCenter: "lhr1") { edges { node { id } } }
    }`);
    expect(found.errors).toBeUndefined();
    expect(found.data!.product).toEqual({ sku: 'MUG-001' });
    expect(found.data!.products.edges).toEqual([{ node: { sku: 'BOOK-001' } }]);
    expect(found.data!.bySku.edges.length).toBeGreaterThan(0);
    expect(found.data!.bySku.edges.every((edge: any) => edge.node.sku === 'MUG-001')).toBe(true);
    expect(found.data!.byCentre.edges.length).toBeGreaterThan(0);
    expect(found.data!.byCentre.edges.every((edge: any) => edge.node.distributionCenter === 'LHR1')).toBe(true);
    for (const query of ['{ binItems(distributionCenter: "XXX9") { edges { cursor } } }', '{ binItems(sku: "") { edges { cursor } } }', '{ picklists(distributionCenter: "nowhere") { edges { cursor } } }']) {
      expect(codes(await gql(system.gatewayUrl, query)), query).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('when a subgraph is down', () => {
  it('the gateway answers with what it has plus an error naming the failure', async () => {
    const placed = await gql(system.gatewayUrl, placeOrder, { input: validInput });
    await system.stop('inventory');
    try {
      const res = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { id customer { name } lines { product { title stock { available } } } } }`, {
        id: placed.data!.placeOrder.id,
      });
      expect(res.data!.order.id).toBe(placed.data!.placeOrder.id);
      expect(res.data!.order.customer).toEqual({ name: 'Ada Lovelace' });
      expect(res.data!.order.lines[0].product.title).toBe('Distributed Systems, 3rd ed.');
      expect(res.data!.order.lines[0].product.stock).toBeNull();
      // One error for each field missing, with its path: each line's product's stock.
      expect(res.errors).toEqual(
        [0, 1].map((line) =>
          expect.objectContaining({
            message: expect.stringMatching(/inventory service is unavailable/),
            path: ['order', 'lines', line, 'product', 'stock'],
            extensions: expect.objectContaining({ code: 'DEPENDENCY_UNAVAILABLE', serviceName: 'inventory' }),
          }),
        ),
      );
    } finally {
      await system.restart('inventory');
    }
    const healed = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { lines { product { stock { available } } } } }`, { id: placed.data!.placeOrder.id });
    expect(healed.errors).toBeUndefined();
  });

  it('a service that adds lists to the order being down leaves the order: the lists read null, with an error naming it', async () => {
    const placed = await gql(system.gatewayUrl, placeOrder, { input: validInput });
    const id = placed.data!.placeOrder.id;
    const query = `query($id: ID!) { order(id: $id) { id status shipments { id } history { to } historyCursor refunds { id } } }`;
    await system.stop('shipping');
    await system.stop('tracking');
    try {
      const res = await gql(system.gatewayUrl, query, { id });
      expect(res.data!.order).toEqual({ id, status: 'CHARGING', shipments: null, history: null, historyCursor: null, refunds: [] });
      // Each missing field has its error, with its path, as a frontend attaches errors to fields.
      const missing = res.errors!.map((error) => [error.path?.join('.'), error.extensions?.serviceName, error.extensions?.code]);
      expect(missing.sort()).toEqual([
        ['order.history', 'tracking', 'DEPENDENCY_UNAVAILABLE'],
        ['order.historyCursor', 'tracking', 'DEPENDENCY_UNAVAILABLE'],
        ['order.shipments', 'shipping', 'DEPENDENCY_UNAVAILABLE'],
      ]);
    } finally {
      await system.restart('shipping');
      await system.restart('tracking');
    }
    const healed = await gql(system.gatewayUrl, query, { id });
    expect(healed.errors).toBeUndefined();
    expect(healed.data!.order.shipments).toEqual([]);
  });

  it('placing an order while customers is down fails cleanly with DEPENDENCY_UNAVAILABLE and writes nothing', async () => {
    await system.stop('customers');
    try {
      const res = await gql(system.gatewayUrl, placeOrder, { input: validInput });
      expect(codes(res)).toEqual(['DEPENDENCY_UNAVAILABLE']);
      expect(res.errors![0]!.message).toMatch(/customers service is unavailable/);
      // Why, by the error's code, but not where the service is: the message reaches clients.
      expect(res.errors![0]!.message).toMatch(/\(ECONNREFUSED\)$/);
      expect(res.errors![0]!.message).not.toMatch(/127\.0\.0\.1|:\d{2,5}\b/);
      expect(await orderCount()).toBe(0);
    } finally {
      await system.restart('customers');
    }
  });
});
