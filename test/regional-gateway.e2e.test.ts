import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../gateway/supergraph.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { buildCustomersService } from '../subgraphs/customers/server.ts';
import { codes, eventually, gql, serve, silentLogger, testTokens, TestDatabases, userToken, type RunningApp } from './harness.ts';
import { placeOrder, startSystem, type RunningSystem } from './system.ts';

// Local staff read a local copy of the customers domain through the same interface: a region's
// gateway composes the same graph with its customers fetched from the region's replica, so it
// keeps answering (customers, and orders with their customer) while the home copy is down, and a
// change made there while home is down reaches home when it is back. A replica itself answers
// only callers with an internal token (a gateway's); nobody reaches it with a client's token.

const dbs = new TestDatabases();
let system: RunningSystem;
let ukCopy: { service: Awaited<ReturnType<typeof buildCustomersService>>; app: RunningApp };
let ukGateway: Awaited<ReturnType<RunningSystem['startGateway']>>;

beforeAll(async () => {
  system = await startSystem(dbs);
  const service = await buildCustomersService({
    db: await dbs.create('customers_uk'),
    logger: silentLogger,
    tokens: testTokens,
    copy: { role: 'replica', region: 'UK', homeUrl: system.urls.customers, pollIntervalMs: 20, writeWaitMs: 500 },
  });
  ukCopy = { service, app: await serve(service.handler) };
  const endpoints = Object.entries(system.urls).map(([name, url]) => ({ name, url: name === 'customers' ? ukCopy.app.url : url }));
  ukGateway = await system.startGateway({ supergraphSdl: composeSupergraph(endpoints), endpoints });
}, 60_000);

afterAll(async () => {
  await system?.close();
  await ukCopy?.app.close();
  await ukCopy?.service.close();
  await dbs.cleanup();
});

const customerQuery = `query($id: ID!) { customer(id: $id) { id name unconfirmedWrites addresses { line1 } } }`;
const statusQuery = `{ replicationStatus { region role homeReachable pendingWrites } }`;

describe("a region's gateway", () => {
  it('answers from the region\'s copy, also while home is down, and what is changed there reaches home', async () => {
    const support = await userToken({ role: 'support' });
    const ada = await userToken({ role: 'customer', customerId: demo.customers.ada });
    const orderId = await placeOrder(system.gatewayUrl, [{ sku: 'BOOK-001', quantity: 1 }]);

    // Each gateway answers from its own copy.
    const ukStatus = await gql(ukGateway.url, statusQuery, {}, { token: support });
    expect(ukStatus.data?.replicationStatus).toMatchObject({ region: 'UK', role: 'REPLICA' });
    expect((await gql(system.gatewayUrl, statusQuery, {}, { token: support })).data?.replicationStatus).toMatchObject({ region: 'US', role: 'HOME' });
    const copied = await eventually(
      () => gql(ukGateway.url, customerQuery, { id: demo.customers.ada }, { token: ada }),
      (res) => res.data?.customer?.name === 'Ada Lovelace',
    );
    expect(copied.errors).toBeUndefined();

    // The replica refuses a client's token sent straight to it: only through a gateway.
    const direct = await gql(ukCopy.app.url, customerQuery, { id: demo.customers.ada }, { token: support });
    expect(direct.status).toBe(401);

    await system.stop('customers');
    try {
      const home = await gql(system.gatewayUrl, customerQuery, { id: demo.customers.ada }, { token: support });
      expect(codes(home)).toContain('DEPENDENCY_UNAVAILABLE');

      // The region's staff still read the customer, and an order with its customer's name.
      const local = await gql(ukGateway.url, customerQuery, { id: demo.customers.ada }, { token: support });
      expect(local.errors).toBeUndefined();
      expect(local.data?.customer?.name).toBe('Ada Lovelace');
      const order = await gql(ukGateway.url, `query($id: ID!) { order(id: $id) { id customer { name } } }`, { id: orderId }, { token: support });
      expect(order.errors).toBeUndefined();
      expect(order.data?.order).toEqual({ id: orderId, customer: { name: 'Ada Lovelace' } });

      // A change made in the region while home is down is queued there, and shown at once.
      const added = await gql(
        ukGateway.url,
        `mutation($id: ID!, $input: AddressInput!) { addAddress(customerId: $id, input: $input) { unconfirmedWrites addresses { line1 } } }`,
        { id: demo.customers.ada, input: { line1: '10 Downing Street', city: 'London', postalCode: 'SW1A 2AA', country: 'GB' } },
        { token: ada },
      );
      expect(added.errors).toBeUndefined();
      expect(added.data?.addAddress.unconfirmedWrites).toBe(1);
      expect(added.data?.addAddress.addresses.map((address: { line1: string }) => address.line1)).toContain('10 Downing Street');
    } finally {
      await system.restart('customers');
    }

    // Home confirms it once back, and every gateway shows it.
    await eventually(
      () => gql(ukGateway.url, customerQuery, { id: demo.customers.ada }, { token: support }),
      (res) => res.data?.customer?.unconfirmedWrites === 0,
    );
    const atHome = await gql(system.gatewayUrl, customerQuery, { id: demo.customers.ada }, { token: support });
    expect(atHome.data?.customer?.addresses.map((address: { line1: string }) => address.line1)).toContain('10 Downing Street');
  }, 90_000);
});
