import { composeServices } from '@apollo/composition';
import { parse, type GraphQLObjectType } from 'graphql';
import { ObjectId } from 'mongodb';
import type { Filter } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { pageRequest } from '../../kit/paging.ts';
import { recordingFindsIn } from '../../test/recording-db.ts';
import { codes, eventually, gql, serve, silentLogger, testTokens, TestDatabases, type GraphQLResponse, type RunningApp } from '../../test/harness.ts';
import { buildCustomersService } from './server.ts';
import { CustomerStore, type CustomerDoc } from './store.ts';
import { keyedId } from './writes.ts';

const dbs = new TestDatabases();
let app: RunningApp;
let store: CustomerStore;

beforeAll(async () => {
  const service = await buildCustomersService({ db: await dbs.create('customers'), logger: silentLogger, tokens: testTokens });
  store = service.store;
  app = await serve(service.handler);
});
afterAll(async () => {
  await app.close();
  await dbs.cleanup();
});

const addCustomer = `mutation($input: AddCustomerInput!) { addCustomer(input: $input) { id name email homeRegion addresses { id city country } } }`;

async function newCustomer(email: string) {
  const res = await gql(app.url, addCustomer, {
    input: { name: 'Ada Lovelace', email, homeRegion: 'UK', address: { line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'gb' } },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.addCustomer as { id: string; addresses: { id: string; country: string }[] };
}

describe('customers subgraph', () => {
  it('adds a customer and reads it back', async () => {
    const created = await newCustomer('ada@example.com');
    expect(created.addresses[0]!.country).toBe('GB');
    const res = await gql(app.url, `query($id: ID!) { customer(id: $id) { name email homeRegion } }`, { id: created.id });
    expect(res.data!.customer).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com', homeRegion: 'UK' });
  });

  it('lists customers newest first and pages through them while customers sign up, repeating and skipping nothing', async () => {
    // Three created in one millisecond: the id orders them.
    const sameTime = new Date();
    for (let i = 0; i < 3; i++) {
      await store.insert({ _id: new ObjectId(), name: `Tie ${i}`, email: `tie${i}@example.com`, homeRegion: 'UK', addresses: [], paymentMethods: [], createdAt: sameTime, version: 0 });
    }
    for (let i = 0; i < 4; i++) await newCustomer(`page${i}@example.com`);
    const expected = (await store.customers.find().toArray())
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id.toHexString() < b._id.toHexString() ? 1 : -1))
      .map((customer) => customer._id.toHexString());
    expect(expected.length).toBeGreaterThan(7);

    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(100);
      const res: GraphQLResponse = await gql(app.url, `query($after: String) { customers(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
      expect(res.errors).toBeUndefined();
      const page = res.data!.customers as { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
      seen.push(...page.edges.map((edge: { node: { id: string } }) => edge.node.id));
      await newCustomer(`arrived-while-paging-${pages}@example.com`); // newer: before the reader's cursor
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);

    // A fresh first page starts with the newest, which arrived while paging.
    const fresh = await gql(app.url, `{ customers(first: 1) { edges { node { email } } } }`);
    expect(fresh.data!.customers.edges[0].node.email).toMatch(/^arrived-while-paging-/);
  });

  it.skipIf(inject('embeddedDb') !== 'postgresql')('reads a page of customers a time slot at a time on the embedded PostgreSQL, not every customer', async () => {
    // Two sign-ups a minute for two hours; the list read as FerretDB's PostgreSQL handler serves it.
    const filters: Filter<CustomerDoc>[] = [];
    const listing = new CustomerStore(recordingFindsIn(await dbs.create('customers_by_slot'), 'customers', filters));
    await listing.ensureIndexes();
    const start = Date.UTC(2026, 10, 1);
    const ids: string[] = [];
    for (let i = 0; i < 240; i++) {
      const customer = await listing.insert({ _id: new ObjectId(), name: `C ${i}`, email: `c${i}@example.com`, homeRegion: 'UK', addresses: [], paymentMethods: [], createdAt: new Date(start + i * 30_000), version: 0 });
      ids.push(customer._id.toHexString());
    }
    await listing.list(pageRequest('customers', { first: 1 })); // once asks the database what it pushes down
    filters.length = 0;
    const page = await listing.list(pageRequest('customers', { first: 20 }));
    expect(page.edges.map((edge) => edge.node._id.toHexString())).toEqual(ids.slice(-20).reverse());
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(filters.length).toBeGreaterThan(0);
    for (const filter of filters) expect(filter).toEqual({ createdSlot: expect.any(Number) });
    // A slot holds one customer here: the page's slots and the one past it, of the 240.
    expect(filters.length).toBeLessThanOrEqual(24);
  });

  it("shows a client a customer as read at most a second ago, this process's own writes at once and another's within the second, while a service reads it afresh", async () => {
    const filters: Filter<CustomerDoc>[] = [];
    const service = await buildCustomersService({ db: recordingFindsIn(await dbs.create('customers_shown'), 'customers', filters), logger: silentLogger, tokens: testTokens });
    const shown = await serve(service.handler);
    try {
      const created = (await gql(shown.url, addCustomer, { input: { name: 'Ada Shown', email: 'shown@example.com', homeRegion: 'UK' } })).data!.addCustomer as { id: string };
      // As the gateway signs a client's request (support reading the customer's page), and as a service calls.
      const asClient = { token: await testTokens.sign({ subject: 'agent-1', scopes: ['support'] }) };
      const asService = {};
      const lines = async (as: { token?: string }) =>
        ((await gql(shown.url, `query($id: ID!) { customer(id: $id) { addresses { line1 } } }`, { id: created.id }, as)).data!.customer.addresses as { line1: string }[]).map((a) => a.line1);
      const addAddress = `mutation($id: ID!, $input: AddressInput!) { addAddress(customerId: $id, input: $input) { id } }`;

      filters.length = 0;
      expect(await lines(asClient)).toEqual([]);
      expect(await lines(asClient)).toEqual([]);
      expect(filters).toHaveLength(1); // the second view within the second asked the database nothing

      // This process's own write shows at once.
      expect((await gql(shown.url, addAddress, { id: created.id, input: { line1: '2 Own Road', city: 'Leeds', postalCode: 'LS1', country: 'GB' } })).errors).toBeUndefined();
      expect(await lines(asClient)).toEqual(['2 Own Road']);

      // Another process's (straight to the database): a service reads it at once; a client within the second.
      await service.store.addAddress(new ObjectId(created.id), { id: new ObjectId().toHexString(), line1: '3 Other Road', line2: null, city: 'Leeds', postalCode: 'LS1', country: 'GB' });
      expect(await lines(asService)).toEqual(['2 Own Road', '3 Other Road']);
      expect(await eventually(() => lines(asClient), (seen) => seen.length === 2, 2_000)).toEqual(['2 Own Road', '3 Other Road']);
    } finally {
      await shown.close();
    }
  });

  it('refuses a cursor the customers list did not give with BAD_USER_INPUT', async () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const after of ['%%%', cursor(['orders', Date.now(), new ObjectId().toHexString()]), cursor(['customers', Date.now(), 'not-an-id']), cursor(['customers', 'a name', new ObjectId().toHexString()])]) {
      const res: GraphQLResponse = await gql(app.url, `query($after: String) { customers(after: $after) { edges { node { id } } } }`, { after });
      expect(codes(res), after).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.extensions!.field).toBe('after');
    }
  });

  it('refuses a second customer with the same email', async () => {
    await newCustomer('dup@example.com');
    const res = await gql(app.url, addCustomer, { input: { name: 'Other', email: 'DUP@example.com', homeRegion: 'US' } });
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(await store.customers.countDocuments({ email: 'dup@example.com' })).toBe(1);
  });

  it('stores a card as token, brand, last four and expiry, never the number', async () => {
    const { id } = await newCustomer('card@example.com');
    const res = await gql(
      app.url,
      `mutation($id: ID!, $input: PaymentMethodInput!) { addPaymentMethod(customerId: $id, input: $input) { paymentMethods { brand last4 expMonth expYear expired token } } }`,
      { id, input: { cardNumber: '4242 4242 4242 4242', expMonth: 12, expYear: 2035 } },
    );
    expect(res.errors).toBeUndefined();
    const [method] = res.data!.addPaymentMethod.paymentMethods;
    expect(method).toMatchObject({ brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2035, expired: false });
    expect(method.token).toMatch(/^tok_/);
    const raw = JSON.stringify(await store.customers.findOne({ email: 'card@example.com' }));
    expect(raw).not.toContain('4242424242424242');
  });

  it('refuses a number that passes the check digit but no issuer gives out (all zeros, a leading 0), and stores nothing', async () => {
    const { id } = await newCustomer('zeros@example.com');
    for (const cardNumber of ['0000000000000000', '000000000000000000', '0000 0000 0000 0000', '0424242424242424']) {
      const res = await gql(app.url, `mutation($id: ID!, $input: PaymentMethodInput!) { addPaymentMethod(customerId: $id, input: $input) { id } }`, {
        id,
        input: { cardNumber, expMonth: 12, expYear: 2035 },
      });
      expect(codes(res), cardNumber).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.extensions!.field).toBe('cardNumber');
    }
    expect((await store.customers.findOne({ email: 'zeros@example.com' }))!.paymentMethods).toEqual([]);
  });

  it('serves payment method tokens to direct callers but hides them from gateway clients', async () => {
    const { sdl } = (await gql(app.url, `{ _service { sdl } }`)).data!._service as { sdl: string };
    expect(sdl).toMatch(/token: String! @inaccessible/);
    const composed = composeServices([{ name: 'customers', url: 'http://customers/graphql', typeDefs: parse(sdl) }]);
    expect(composed.errors).toBeUndefined();
    const api = composed.schema!.toAPISchema().toGraphQLJSSchema();
    const paymentMethod = api.getType('PaymentMethod') as GraphQLObjectType;
    expect(Object.keys(paymentMethod.getFields())).not.toContain('token');
    expect(Object.keys(paymentMethod.getFields())).toContain('last4');
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const { id } = await newCustomer('bad@example.com');
    const badCard = await gql(app.url, `mutation($id: ID!) { addPaymentMethod(customerId: $id, input: { cardNumber: "4242424242424241", expMonth: 1, expYear: 2035 }) { id } }`, { id });
    expect(codes(badCard)).toEqual(['BAD_USER_INPUT']);
    const expired = await gql(app.url, `mutation($id: ID!) { addPaymentMethod(customerId: $id, input: { cardNumber: "4242424242424242", expMonth: 1, expYear: 2020 }) { id } }`, { id });
    expect(codes(expired)).toEqual(['BAD_USER_INPUT']);
    expect((await store.customers.findOne({ email: 'bad@example.com' }))!.paymentMethods).toEqual([]);

    const badEmail = await gql(app.url, addCustomer, { input: { name: 'X', email: 'not-an-email', homeRegion: 'US' } });
    expect(codes(badEmail)).toEqual(['BAD_USER_INPUT']);
    // A name is printed on every label of the customer's orders; an email is one line too.
    for (const input of [{ name: 'Bob\r\nX-Injected: 1' }, { name: 'Bob\u0007' }, { name: 'Bob \u202Eecilop' }, { email: 'bob\u0001@example.com' }, { email: `${'b'.repeat(250)}@example.com` }, { name: '\u200B' }, { name: 'Bob\u2028X' }, { email: 'bo\u200Bb@example.com' }]) {
      const refused = await gql(app.url, addCustomer, { input: { name: 'Bob', email: 'bob-odd@example.com', homeRegion: 'US', ...input } });
      expect(codes(refused), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await store.customers.findOne({ email: 'bob-odd@example.com' })).toBeNull();
    // Right-to-left writing needs none of them.
    const hebrew = await gql(app.url, addCustomer, { input: { name: 'דוד כהן', email: 'david@example.com', homeRegion: 'US' } });
    expect(hebrew.errors).toBeUndefined();
    const malformed = await gql(app.url, `mutation { addAddress(customerId: "nope", input: { line1: "a", city: "b", postalCode: "c", country: "GB" }) { id } }`);
    expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
    const missing = await gql(app.url, `mutation { addAddress(customerId: "64b0000000000000000000ff", input: { line1: "a", city: "b", postalCode: "c", country: "GB" }) { id } }`);
    expect(codes(missing)).toEqual(['NOT_FOUND']);
  });

  it('takes only real ISO 3166 countries (normalised to upper case) and addresses of a sane length', async () => {
    const { id } = await newCustomer('address-checks@example.com');
    const addAddress = (input: Record<string, unknown>) =>
      gql(app.url, `mutation($id: ID!, $input: AddressInput!) { addAddress(customerId: $id, input: $input) { addresses { line1 country } } }`, {
        id,
        input: { line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB', ...input },
      });
    expect(codes(await addAddress({ country: 'XX' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await addAddress({ line1: 'x'.repeat(100_000) }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await addAddress({ city: 'y'.repeat(201) }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await addAddress({ postalCode: '1'.repeat(21) }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await addAddress({ line1: '1 Main St\nSecond line' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await addAddress({ city: 'Lon\tdon' }))).toEqual(['BAD_USER_INPUT']);
    // Direction overrides and isolates: a label would read otherwise than what was checked.
    expect(codes(await addAddress({ line1: '10 Downing St\u202E' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await addAddress({ postalCode: 'SW1\u2066A\u2069' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(app.url, addCustomer, { input: { name: 'X', email: 'xx@example.com', homeRegion: 'UK', address: { line1: 'a', city: 'b', postalCode: 'c', country: 'XX' } } }))).toEqual(['BAD_USER_INPUT']);
    expect((await store.customers.findOne({ email: 'address-checks@example.com' }))!.addresses).toHaveLength(1);
    const added = await addAddress({ country: 'de' });
    expect(added.data!.addAddress.addresses.at(-1)).toEqual({ line1: '1 Main St', country: 'DE' });
  });

  it('resolves many _entities references with one batched lookup', async () => {
    const a = await newCustomer('e1@example.com');
    const b = await newCustomer('e2@example.com');
    const lookups = vi.spyOn(store, 'findByIds');
    const res = await gql(
      app.url,
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id email } } }`,
      { reps: [a.id, 'not-an-id', b.id, '64b0000000000000000000ff'].map((id) => ({ __typename: 'Customer', id })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([{ id: a.id, email: 'e1@example.com' }, null, { id: b.id, email: 'e2@example.com' }, null]);
    expect(lookups).toHaveBeenCalledTimes(1);
    expect(lookups.mock.calls[0]![0].map((id) => id.toHexString())).toEqual([a.id, b.id, '64b0000000000000000000ff']);
    lookups.mockRestore();
  });

  it('answers null for an unknown customer id and BAD_USER_INPUT for a malformed one', async () => {
    const unknown = await gql(app.url, `{ customer(id: "64b0000000000000000000ff") { id } }`);
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.customer).toBeNull();
    for (const id of ['zz', 'not-an-id', '64b0000000000000000000f']) {
      const malformed = await gql(app.url, `query($id: ID!) { customer(id: $id) { id } }`, { id });
      expect(codes(malformed), id).toEqual(['BAD_USER_INPUT']);
      expect(malformed.errors![0]!.extensions!.field).toBe('id');
    }
  });

  it('keeps every card when many are added to one customer at once', async () => {
    const { id } = await newCustomer('many-cards@example.com');
    const requests = 20; // as many as a customer may have
    const results = await Promise.all(
      Array.from({ length: requests }, (_, i) =>
        gql(
          app.url,
          `mutation($id: ID!, $input: PaymentMethodInput!) { addPaymentMethod(customerId: $id, input: $input) { paymentMethods { id } } }`,
          { id, input: { cardNumber: '4242424242424242', expMonth: 1 + (i % 12), expYear: 2035 } },
        ),
      ),
    );
    expect(results.flatMap(codes)).toEqual([]);
    // Each success saw its own card plus every card added before it: 1, 2, ..., 20.
    expect(results.map((res) => res.data!.addPaymentMethod.paymentMethods.length).sort((x: number, y: number) => x - y)).toEqual(
      Array.from({ length: requests }, (_, i) => i + 1),
    );
    const stored = (await store.customers.findOne({ email: 'many-cards@example.com' }))!;
    expect(stored.paymentMethods).toHaveLength(requests);
    expect(new Set(stored.paymentMethods.map((method) => method.id)).size).toBe(requests);
    expect(stored.version).toBe(requests);
  });

  it('keeps every address when many are added to one customer at once', async () => {
    const { id } = await newCustomer('many-addresses@example.com');
    const requests = 20;
    const results = await Promise.all(
      Array.from({ length: requests }, (_, i) =>
        gql(app.url, `mutation($id: ID!, $input: AddressInput!) { addAddress(customerId: $id, input: $input) { id } }`, {
          id,
          input: { line1: `${i} High St`, city: 'Leeds', postalCode: 'LS1', country: 'GB' },
        }),
      ),
    );
    expect(results.flatMap(codes)).toEqual([]);
    const stored = (await store.customers.findOne({ email: 'many-addresses@example.com' }))!;
    expect(stored.addresses).toHaveLength(requests + 1);
    expect(stored.addresses.map((address) => address.line1).sort()).toEqual(['1 Main St', ...Array.from({ length: requests }, (_, i) => `${i} High St`)].sort());
  });

  it('adds a card to a customer stored before customers carried a version', async () => {
    const { id } = await newCustomer('legacy@example.com');
    await store.customers.updateOne({ email: 'legacy@example.com' }, { $unset: { version: '' } });
    const res = await gql(
      app.url,
      `mutation($id: ID!) { addPaymentMethod(customerId: $id, input: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2035 }) { paymentMethods { last4 } } }`,
      { id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.addPaymentMethod.paymentMethods).toEqual([{ last4: '4242' }]);
    const stored = (await store.customers.findOne({ email: 'legacy@example.com' }))!;
    expect(stored.paymentMethods).toHaveLength(1);
    expect(stored.version).toBe(1);
  });
  describe('an idempotency key on addAddress and addPaymentMethod', () => {
    const addAddress = `mutation($id: ID!, $input: AddressInput!, $key: String) { addAddress(customerId: $id, input: $input, idempotencyKey: $key) { addresses { id line1 } } }`;
    const addCard = `mutation($id: ID!, $input: PaymentMethodInput!, $key: String) { addPaymentMethod(customerId: $id, input: $input, idempotencyKey: $key) { paymentMethods { id last4 expMonth } } }`;
    const leeds = { line1: '5 Park Row', city: 'Leeds', postalCode: 'LS1', country: 'GB' };
    const card = { cardNumber: '4242424242424242', expMonth: 6, expYear: 2035 };
    const stored = async (email: string) => (await store.customers.findOne({ email }))!;

    it('adds an address once however often a request with the key is retried, also at once', async () => {
      const { id } = await newCustomer('keyed-address@example.com');
      const first = await gql(app.url, addAddress, { id, input: leeds, key: 'addr-1' });
      expect(codes(first)).toEqual([]);
      const retries = await Promise.all(Array.from({ length: 6 }, () => gql(app.url, addAddress, { id, input: { ...leeds, country: 'gb' }, key: 'addr-1' })));
      expect(retries.flatMap(codes)).toEqual([]);
      const added = first.data!.addAddress.addresses.at(-1);
      for (const retry of retries) expect(retry.data!.addAddress.addresses).toEqual(first.data!.addAddress.addresses);
      const customer = await stored('keyed-address@example.com');
      expect(customer.addresses.map((a) => a.line1)).toEqual(['1 Main St', '5 Park Row']);
      expect(customer.addresses[1]!.id).toBe(added.id);
      expect(customer.version).toBe(1);

      // Six first attempts racing each other: still one address.
      const racing = await Promise.all(Array.from({ length: 6 }, () => gql(app.url, addAddress, { id, input: { ...leeds, line1: '6 Park Row' }, key: 'addr-2' })));
      expect(racing.flatMap(codes)).toEqual([]);
      expect((await stored('keyed-address@example.com')).addresses.map((a) => a.line1)).toEqual(['1 Main St', '5 Park Row', '6 Park Row']);
    });

    it('refuses the key with a different address, and keys are the customer\'s own', async () => {
      const ada = await newCustomer('keyed-conflict@example.com');
      const grace = await newCustomer('keyed-other@example.com');
      expect(codes(await gql(app.url, addAddress, { id: ada.id, input: leeds, key: 'k' }))).toEqual([]);
      const reused = await gql(app.url, addAddress, { id: ada.id, input: { ...leeds, line1: '7 Park Row' }, key: 'k' });
      expect(codes(reused)).toEqual(['CONFLICT']);
      expect(reused.errors![0]!.extensions!.field).toBe('idempotencyKey');
      expect((await stored('keyed-conflict@example.com')).addresses.map((a) => a.line1)).toEqual(['1 Main St', '5 Park Row']);
      // The same key for another customer, and for a card of the same customer, is another key.
      expect(codes(await gql(app.url, addAddress, { id: grace.id, input: leeds, key: 'k' }))).toEqual([]);
      expect(codes(await gql(app.url, addCard, { id: ada.id, input: card, key: 'k' }))).toEqual([]);
      expect((await stored('keyed-other@example.com')).addresses).toHaveLength(2);
      expect((await stored('keyed-conflict@example.com')).paymentMethods).toHaveLength(1);
    });

    it('stores a card once per key, and refuses the key with another card', async () => {
      const { id } = await newCustomer('keyed-card@example.com');
      const results = await Promise.all(Array.from({ length: 5 }, () => gql(app.url, addCard, { id, input: card, key: 'card-1' })));
      expect(results.flatMap(codes)).toEqual([]);
      const customer = await stored('keyed-card@example.com');
      expect(customer.paymentMethods).toHaveLength(1);
      for (const res of results) expect(res.data!.addPaymentMethod.paymentMethods).toEqual([{ id: customer.paymentMethods[0]!.id, last4: '4242', expMonth: 6 }]);
      for (const other of [{ ...card, expMonth: 7 }, { ...card, cardNumber: '5555555555554444' }]) {
        expect(codes(await gql(app.url, addCard, { id, input: other, key: 'card-1' }))).toEqual(['CONFLICT']);
      }
      expect((await stored('keyed-card@example.com')).paymentMethods).toHaveLength(1);
      // Without a key, each call is a new card: the client chose not to make retries safe.
      await gql(app.url, addCard, { id, input: card });
      expect((await stored('keyed-card@example.com')).paymentMethods).toHaveLength(2);
    });

    it('adds a customer once however often addCustomer is retried with its key, also at once', async () => {
      const keyedCustomer = `mutation($input: AddCustomerInput!, $key: String) { addCustomer(input: $input, idempotencyKey: $key) { id name addresses { line1 } } }`;
      const input = { name: 'Mary Somerville', email: 'keyed-customer@example.com', homeRegion: 'UK', address: { line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB' } };
      const attempts = await Promise.all(Array.from({ length: 5 }, () => gql(app.url, keyedCustomer, { input, key: 'signup-1' })));
      expect(attempts.flatMap(codes)).toEqual([]);
      const ids = new Set(attempts.map((res) => res.data!.addCustomer.id));
      expect(ids.size).toBe(1);
      expect(await store.customers.countDocuments({ email: 'keyed-customer@example.com' })).toBe(1);
      const again = await gql(app.url, keyedCustomer, { input, key: 'signup-1' });
      expect(again.data!.addCustomer.id).toBe([...ids][0]);
      for (const other of [{ ...input, name: 'M. Somerville' }, { ...input, address: { ...input.address, line1: '2 Main St' } }, { ...input, email: 'other-keyed@example.com' }]) {
        const reused = await gql(app.url, keyedCustomer, { input: other, key: 'signup-1' });
        expect(codes(reused), JSON.stringify(other)).toEqual(['CONFLICT']);
        expect(reused.errors![0]!.extensions!.field).toBe('idempotencyKey');
      }
      expect(await store.customers.countDocuments({ email: 'other-keyed@example.com' })).toBe(0);
      // A retry that leaves out the address it was added with is another request too.
      const { address: _address, ...withoutAddress } = input;
      expect(codes(await gql(app.url, keyedCustomer, { input: withoutAddress, key: 'signup-1' }))).toEqual(['CONFLICT']);
      // Without the key, the retry is refused on the email, as before.
      expect(codes(await gql(app.url, keyedCustomer, { input }))).toEqual(['CONFLICT']);
    });

    it('gives each loser of a race of one key with different emails the key\'s CONFLICT, never a false one on its email', async () => {
      const keyedCustomer = `mutation($input: AddCustomerInput!, $key: String) { addCustomer(input: $input, idempotencyKey: $key) { id email } }`;
      const emails = Array.from({ length: 12 }, (_, i) => `race-${i}@example.com`);
      const results = await Promise.all(emails.map((email) => gql(app.url, keyedCustomer, { input: { name: 'Race', email, homeRegion: 'US' }, key: 'race' })));
      const winners = results.filter((res) => !res.errors);
      expect(winners).toHaveLength(1);
      for (const res of results.filter((r) => r.errors)) {
        expect(codes(res)).toEqual(['CONFLICT']);
        expect(res.errors![0]!.extensions!.field).toBe('idempotencyKey');
      }
      expect(await store.customers.countDocuments({ email: { $in: emails } })).toBe(1);
    });

    it('keeps apart the keys of callers and customers whose ids hold a colon', () => {
      expect(keyedId('x:k', 'sup-0', 'customer')).not.toBe(keyedId('k', 'sup-0:x', 'customer'));
      // A key is taken as written: one with spaces around it is refused, not taken for another.
      expect(() => keyedId(' k ', 'sup-0', 'customer')).toThrow(/idempotencyKey must be 1 to 100 characters that all show/);
    });

    it('refuses a blank, over-long or control-character key before writing anything', async () => {
      const { id } = await newCustomer('keyed-bad@example.com');
      for (const key of ['', '   ', 'k'.repeat(101), 'a\u0000b', 'k ', '\u00A0k', 'k\n']) {
        expect(codes(await gql(app.url, addAddress, { id, input: leeds, key })), JSON.stringify(key)).toEqual(['BAD_USER_INPUT']);
        expect(codes(await gql(app.url, addCard, { id, input: card, key })), JSON.stringify(key)).toEqual(['BAD_USER_INPUT']);
      }
      const customer = await stored('keyed-bad@example.com');
      expect(customer.addresses).toHaveLength(1);
      expect(customer.paymentMethods).toHaveLength(0);
    });
  });
  it('keeps at most 50 addresses and 20 cards per customer, also when many are added at once', async () => {
    const { id } = await newCustomer('full@example.com');
    const addAddress = (i: number) =>
      gql(app.url, `mutation($id: ID!, $input: AddressInput!) { addAddress(customerId: $id, input: $input) { id } }`, { id, input: { line1: `${i} Full St`, city: 'Leeds', postalCode: 'LS1', country: 'GB' } });
    for (let i = 1; i < 45; i++) expect(codes(await addAddress(i))).toEqual([]);
    // 45 held (the one it was added with, and 44): 10 at once, room for 5.
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => addAddress(100 + i)));
    expect(racing.filter((res) => !res.errors)).toHaveLength(5);
    for (const res of racing.filter((r) => r.errors)) {
      expect(codes(res)).toEqual(['CONFLICT']);
      expect(res.errors![0]!.extensions!.field).toBe('customerId');
    }
    const stored = (await store.customers.findOne({ email: 'full@example.com' }))!;
    expect(stored.addresses).toHaveLength(50);
    const cards = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        gql(app.url, `mutation($id: ID!, $input: PaymentMethodInput!) { addPaymentMethod(customerId: $id, input: $input) { id } }`, {
          id,
          input: { cardNumber: '4242424242424242', expMonth: 1 + (i % 12), expYear: 2035 + Math.floor(i / 12) },
        }),
      ),
    );
    expect(cards.filter((res) => !res.errors)).toHaveLength(20);
    expect(cards.filter((res) => res.errors).flatMap(codes)).toEqual(Array(4).fill('CONFLICT'));
    const after = (await store.customers.findOne({ email: 'full@example.com' }))!;
    expect(after.paymentMethods).toHaveLength(20);
    expect(after.version).toBe(44 + 5 + 20);
  });
});
