import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGraphQLClient } from '../../kit/graphql-client.ts';
import { isUnavailable } from '../../kit/unavailable.ts';
import { codes, gql, serve, silentLogger, testCredentials, testTokens, TestDatabases, type GraphQLResponse, type RunningApp } from '../../test/harness.ts';
import { buildCatalogService } from '../catalog/server.ts';
import { buildInventoryService } from './server.ts';
import { binItemId, MAX_QUANTITY, type InventoryStore } from './store.ts';

const dbs = new TestDatabases();
let app: RunningApp;
let store: InventoryStore;
let catalog: Awaited<ReturnType<typeof buildCatalogService>>;
let catalogApp: RunningApp;
let closeService: () => Promise<void>;

/** What the tests stock: the catalog sells these, and only these. */
const sold = ['SKU-FULL', 'SKU-PAGE', 'SKU-ADD', 'SKU-OVER', 'SKU-RES', 'SKU-MAX', 'SKU-SUM', 'SKU-OTHER', 'SKU-PILE', 'SKU-RACE', 'SKU-TWO', 'SKU-HALF', 'SKU-SCARCE', 'SKU-KEYED', 'SKU-KEYED2', 'SKU-KEYED3', 'SKU-SEEN']
  .concat(['SHIP-PART', 'PULL-ALL', 'SHIP-ALL'].flatMap((id) => [`${id}-A`, `${id}-B`]));

beforeAll(async () => {
  // A real catalog, whose vendors service is never asked (products are written to its store).
  catalog = await buildCatalogService({ db: await dbs.create('catalog'), logger: silentLogger, tokens: testTokens, vendorsUrl: 'http://127.0.0.1:9/graphql' });
  catalogApp = await serve(catalog.handler);
  for (const sku of sold) await catalog.store.upsert({ _id: sku, title: sku, description: '', price: { amount: 100, currency: 'GBP' }, weightGrams: 100, vendorId: new ObjectId() });
  const service = await buildInventoryService({ db: await dbs.create('inventory'), logger: silentLogger, tokens: testTokens, catalogUrl: catalogApp.url });
  store = service.store;
  closeService = service.close;
  app = await serve(service.handler);
});
afterAll(async () => {
  await app.close();
  await closeService();
  await catalogApp.close();
  await catalog.close();
  await dbs.cleanup();
});

const adjustStock = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { sku distributionCenter bin quantity reserved } }`;

function adjust(sku: string, distributionCenter: string, bin: string, delta: number) {
  return gql(app.url, adjustStock, { input: { sku, distributionCenter, bin, delta } });
}

async function adjusted(sku: string, distributionCenter: string, bin: string, delta: number) {
  const res = await adjust(sku, distributionCenter, bin, delta);
  expect(res.errors).toBeUndefined();
  return res.data!.adjustStock as { sku: string; distributionCenter: string; bin: string; quantity: number; reserved: number };
}

const quantityOf = async (dc: string, bin: string, sku: string) => (await store.binItems.findOne({ _id: binItemId(dc, bin, sku) }))?.quantity;

const stockQuery = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { sku stock { onHand reserved available } binItems { distributionCenter bin quantity reserved } } } }`;

const nodes = (connection: { edges: { node: unknown }[] }) => connection.edges.map((edge) => edge.node);

describe('inventory subgraph', () => {
  it('pages through a sku\'s bin items in centre/bin order, and refuses a cursor it did not give', async () => {
    for (const [centre, bin] of [['FRA1', 'P-03'], ['LHR1', 'P-02'], ['FRA1', 'P-01'], ['FRA1', 'P-02']] as const) await adjusted('SKU-PAGE', centre, bin, 1);
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(10);
      const res: GraphQLResponse = await gql(app.url, `query($after: String) { binItems(sku: "SKU-PAGE", first: 1, after: $after) { edges { node { distributionCenter bin } } pageInfo { hasNextPage endCursor } } }`, { after });
      expect(res.errors).toBeUndefined();
      seen.push(...(nodes(res.data!.binItems) as { distributionCenter: string; bin: string }[]).map((item) => `${item.distributionCenter} ${item.bin}`));
      if (pages === 0) await adjusted('SKU-PAGE', 'LHR1', 'P-04', 1); // a bin stocked while paging, ahead of the reader
      if (!res.data!.binItems.pageInfo.hasNextPage) break;
      after = res.data!.binItems.pageInfo.endCursor;
    }
    expect(seen).toEqual(['FRA1 P-01', 'FRA1 P-02', 'FRA1 P-03', 'LHR1 P-02', 'LHR1 P-04']);
    const bad = await gql(app.url, `{ binItems(after: "not+a+cursor") { edges { node { bin } } } }`);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  it('adds units to a new bin, then adds and removes more', async () => {
    const created = await adjusted(' sku-add ', 'lhr1', 'a-01', 5);
    expect(created).toEqual({ sku: 'SKU-ADD', distributionCenter: 'LHR1', bin: 'A-01', quantity: 5, reserved: 0 });
    expect(await adjusted('SKU-ADD', 'LHR1', 'A-01', 7)).toMatchObject({ quantity: 12 });
    expect(await adjusted('SKU-ADD', 'LHR1', 'A-01', -4)).toMatchObject({ quantity: 8 });
    expect(await adjusted('SKU-ADD', 'LHR1', 'A-01', -8)).toMatchObject({ quantity: 0 });
    expect(await quantityOf('LHR1', 'A-01', 'SKU-ADD')).toBe(0);

    const res = await gql(app.url, `{ binItems(sku: "SKU-ADD") { edges { node { distributionCenter bin quantity } } } }`);
    expect(res.errors).toBeUndefined();
    expect(nodes(res.data!.binItems)).toEqual([{ distributionCenter: 'LHR1', bin: 'A-01', quantity: 0 }]);
  });

  it('adds no units of a sku the catalog does not sell, and still lets stock of one be taken out', async () => {
    const res = await adjust('SKU-UNSOLD', 'LHR1', 'U-01', 5);
    expect(codes(res)).toEqual(['NOT_FOUND']);
    expect(res.errors?.[0]?.message).toContain('SKU-UNSOLD');
    expect(await store.binItems.countDocuments({ sku: 'SKU-UNSOLD' })).toBe(0);

    // Stock the catalog stopped selling (written before the check, or the product since removed).
    await catalog.store.upsert({ _id: 'SKU-GONE', title: 'gone', description: '', price: { amount: 1, currency: 'GBP' }, weightGrams: 1, vendorId: new ObjectId() });
    await adjusted('SKU-GONE', 'LHR1', 'U-02', 4);
    await catalog.store.products.deleteOne({ _id: 'SKU-GONE' });
    expect(codes(await adjust('SKU-GONE', 'LHR1', 'U-02', 1))).toEqual(['NOT_FOUND']);
    expect(await adjusted('SKU-GONE', 'LHR1', 'U-02', -4)).toMatchObject({ quantity: 0 });
  });

  it('refuses to remove more than the bin holds and leaves it unchanged', async () => {
    await adjusted('SKU-OVER', 'LHR1', 'B-01', 3);
    const res = await adjust('SKU-OVER', 'LHR1', 'B-01', -4);
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(await quantityOf('LHR1', 'B-01', 'SKU-OVER')).toBe(3);

    const emptyBin = await adjust('SKU-OVER', 'LHR1', 'NO-SUCH-BIN', -1);
    expect(codes(emptyBin)).toEqual(['CONFLICT']);
    expect(await store.binItems.countDocuments({ _id: binItemId('LHR1', 'NO-SUCH-BIN', 'SKU-OVER') })).toBe(0);
  });

  it('never removes reserved units', async () => {
    await store.binItems.insertOne({ _id: binItemId('FRA1', 'R-01', 'SKU-RES'), sku: 'SKU-RES', distributionCenter: 'FRA1', bin: 'R-01', quantity: 10, reserved: 6, version: 0 });
    expect(codes(await adjust('SKU-RES', 'FRA1', 'R-01', -5))).toEqual(['CONFLICT']);
    expect(await quantityOf('FRA1', 'R-01', 'SKU-RES')).toBe(10);
    expect(await adjusted('SKU-RES', 'FRA1', 'R-01', -4)).toMatchObject({ quantity: 6, reserved: 6 });
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const before = await store.binItems.countDocuments();
    for (const [sku, dc, bin, delta] of [
      ['SKU-BAD', 'LHR1', 'A-01', 0],
      ['has space', 'LHR1', 'A-01', 1],
      ['SKU-BAD', 'LHR/1', 'A-01', 1],
      ['SKU-BAD', 'XXX9', 'A-01', 1], // no such distribution centre
      ['SKU-BAD', 'LHR1', '', 1],
    ] as const) {
      expect(codes(await adjust(sku, dc, bin, delta)), `${sku} ${dc} ${bin} ${delta}`).toEqual(['BAD_USER_INPUT']);
    }
    expect(await store.binItems.countDocuments()).toBe(before);
  });

  it('refuses a change that would take a bin past the largest Int, and writes nothing', async () => {
    await adjusted('SKU-MAX', 'LHR1', 'M-01', MAX_QUANTITY - 5);
    const versionOf = async () => (await store.binItems.findOne({ _id: binItemId('LHR1', 'M-01', 'SKU-MAX') }))?.version;
    const versionBefore = await versionOf();

    const over = await adjust('SKU-MAX', 'LHR1', 'M-01', 6);
    expect(codes(over)).toEqual(['BAD_USER_INPUT']);
    expect(over.errors![0]!.message).toContain(`maximum of ${MAX_QUANTITY}`);
    expect(over.errors![0]!.extensions!.field).toBe('delta');
    expect(await quantityOf('LHR1', 'M-01', 'SKU-MAX')).toBe(MAX_QUANTITY - 5);
    expect(codes(await adjust('SKU-MAX', 'LHR1', 'M-01', MAX_QUANTITY))).toEqual(['BAD_USER_INPUT']);
    expect(await versionOf()).toBe(versionBefore);

    // Up to the limit itself is fine, and the bin stays readable.
    expect(await adjusted('SKU-MAX', 'LHR1', 'M-01', 5)).toMatchObject({ quantity: MAX_QUANTITY });
    expect(codes(await adjust('SKU-MAX', 'LHR1', 'M-01', 1))).toEqual(['BAD_USER_INPUT']);
    const read = await gql(app.url, `{ binItems(sku: "SKU-MAX") { edges { node { quantity } } } }`);
    expect(read.errors).toBeUndefined();
    expect(nodes(read.data!.binItems)).toEqual([{ quantity: MAX_QUANTITY }]);
    expect(await adjusted('SKU-MAX', 'LHR1', 'M-01', -MAX_QUANTITY)).toMatchObject({ quantity: 0 });
  });

  it('rejects a delta whose size is beyond the largest Int up front', async () => {
    const before = await store.binItems.countDocuments();
    // -2^31 is a valid Int, but no bin can hold that many units.
    const res = await adjust('SKU-HUGE', 'LHR1', 'H-01', -(MAX_QUANTITY + 1));
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions!.field).toBe('delta');
    expect(await store.binItems.countDocuments()).toBe(before);
  });

  it('reads stock summed past the largest Int as that Int, not as an error, with each bin full', async () => {
    await adjusted('SKU-FULL', 'LHR1', 'F-01', MAX_QUANTITY);
    await adjusted('SKU-FULL', 'FRA1', 'F-02', MAX_QUANTITY);
    const stock = await gql(app.url, stockQuery, { reps: [{ __typename: 'Product', sku: 'SKU-FULL' }] });
    expect(stock.errors).toBeUndefined();
    expect(stock.data!._entities[0].stock).toEqual({ onHand: MAX_QUANTITY, reserved: 0, available: MAX_QUANTITY });
    expect(stock.data!._entities[0].binItems.map((item: { quantity: number }) => item.quantity)).toEqual([MAX_QUANTITY, MAX_QUANTITY]);
    // Some reserved: available stays onHand - reserved as shown.
    await store.reserve('order-full', [{ sku: 'SKU-FULL', quantity: 7 }]);
    const reserved = await gql(app.url, stockQuery, { reps: [{ __typename: 'Product', sku: 'SKU-FULL' }] });
    expect(reserved.data!._entities[0].stock).toEqual({ onHand: MAX_QUANTITY, reserved: 7, available: MAX_QUANTITY - 7 });
  });

  it("shows its own changes of stock at once, and another process's within a second, while the bins the warehouse works from are read every time", async () => {
    const stockOf = async (sku: string) => {
      const res = await gql(app.url, stockQuery, { reps: [{ __typename: 'Product', sku }] });
      expect(res.errors).toBeUndefined();
      return res.data!._entities[0] as { stock: { onHand: number; available: number }; binItems: { quantity: number }[] };
    };
    await adjusted('SKU-SEEN', 'LHR1', 'S-01', 10);
    expect((await stockOf('SKU-SEEN')).stock.available).toBe(10);
    await adjusted('SKU-SEEN', 'LHR1', 'S-01', 5);
    expect((await stockOf('SKU-SEEN')).stock.available).toBe(15); // this process's adjustment
    await store.reserve('order-seen', [{ sku: 'SKU-SEEN', quantity: 4 }]);
    const readAt = Date.now(); // no later than the read that keeps what it found
    expect((await stockOf('SKU-SEEN')).stock.available).toBe(11); // and its reservation
    // Another inventory process's change, straight to the database.
    await store.binItems.updateOne({ _id: binItemId('LHR1', 'S-01', 'SKU-SEEN') }, { $set: { quantity: 20 } });
    const seen = await stockOf('SKU-SEEN');
    expect(seen.binItems.map((item) => item.quantity)).toEqual([20]);
    if (Date.now() - readAt < 900) expect(seen.stock.onHand).toBe(15); // what was read less than a second before
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await stockOf('SKU-SEEN')).stock).toMatchObject({ onHand: 20, available: 16 });
  });

  it('resolves Product _entities to stock summed across bins, and zero for a product with no bins', async () => {
    await adjusted('SKU-SUM', 'LHR1', 'C-01', 40);
    await adjusted('SKU-SUM', 'FRA1', 'C-02', 12);
    await store.binItems.updateOne({ _id: binItemId('FRA1', 'C-02', 'SKU-SUM') }, { $set: { reserved: 5 } });
    await adjusted('SKU-OTHER', 'LHR1', 'C-01', 99);

    const res = await gql(app.url, stockQuery, { reps: ['SKU-SUM', 'SKU-NONE', 'SKU-OTHER'].map((sku) => ({ __typename: 'Product', sku })) });
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([
      {
        sku: 'SKU-SUM',
        stock: { onHand: 52, reserved: 5, available: 47 },
        binItems: [
          { distributionCenter: 'FRA1', bin: 'C-02', quantity: 12, reserved: 5 },
          { distributionCenter: 'LHR1', bin: 'C-01', quantity: 40, reserved: 0 },
        ],
      },
      { sku: 'SKU-NONE', stock: { onHand: 0, reserved: 0, available: 0 }, binItems: [] },
      { sku: 'SKU-OTHER', stock: { onHand: 99, reserved: 0, available: 99 }, binItems: [{ distributionCenter: 'LHR1', bin: 'C-01', quantity: 99, reserved: 0 }] },
    ]);
  });

  it('keeps every unit of concurrent additions, including to a bin that does not exist yet', async () => {
    const requests = 20;
    const results = await Promise.all(Array.from({ length: requests }, () => adjust('SKU-PILE', 'LHR1', 'Y-01', 1)));
    expect(results.flatMap(codes)).toEqual([]);
    expect(await quantityOf('LHR1', 'Y-01', 'SKU-PILE')).toBe(requests);
    expect(await store.binItems.countDocuments({ sku: 'SKU-PILE' })).toBe(1);
  });

  it('lets exactly as many concurrent removals succeed as there are units, never going below zero', async () => {
    const units = 10;
    const requests = 30;
    await adjusted('SKU-RACE', 'LHR1', 'Z-01', units);

    const results = await Promise.all(Array.from({ length: requests }, () => adjust('SKU-RACE', 'LHR1', 'Z-01', -1)));

    const succeeded = results.filter((res) => res.errors === undefined);
    const failed = results.filter((res) => res.errors !== undefined);
    expect(failed.map(codes)).toEqual(Array.from({ length: requests - units }, () => ['CONFLICT']));
    expect(succeeded).toHaveLength(units);
    // Each success saw a different remaining quantity: 9, 8, ..., 0.
    const remaining = succeeded.map((res) => res.data!.adjustStock.quantity as number).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: units }, (_, i) => i));
    expect(await quantityOf('LHR1', 'Z-01', 'SKU-RACE')).toBe(0);

    const stock = await gql(app.url, stockQuery, { reps: [{ __typename: 'Product', sku: 'SKU-RACE' }] });
    expect(stock.data!._entities[0].stock).toEqual({ onHand: 0, reserved: 0, available: 0 });
  });

  it('never overdraws when two inventory processes, each with its own connection, remove from one bin at once', async () => {
    const units = 12;
    const requests = 40;
    await adjusted('SKU-TWO', 'LHR1', 'T-01', units);
    // A second instance of the service: separate client, separate connection pool, same database.
    const client = await new MongoClient(inject('mongoUri')).connect();
    const second = await buildInventoryService({ db: client.db(store.binItems.dbName), logger: silentLogger, tokens: testTokens, catalogUrl: catalogApp.url });
    const secondApp = await serve(second.handler);
    try {
      const results = await Promise.all(
        Array.from({ length: requests }, (_, i) =>
          gql(i % 2 ? secondApp.url : app.url, adjustStock, { input: { sku: 'SKU-TWO', distributionCenter: 'LHR1', bin: 'T-01', delta: -1 } }),
        ),
      );
      expect(results.filter((res) => res.errors === undefined)).toHaveLength(units);
      expect(results.filter((res) => codes(res)[0] === 'CONFLICT')).toHaveLength(requests - units);
      expect(await quantityOf('LHR1', 'T-01', 'SKU-TWO')).toBe(0);
    } finally {
      await secondApp.close();
      await client.close();
    }
  });

  it('tells the caller of a reservation left half-made (its first call died with the database) to try later, not that it failed, and takes it over once stale', async () => {
    await adjusted('SKU-HALF', 'LHR1', 'H-01', 3);
    // What a reserve call leaves when the database goes down under it: its claim, and no holds.
    await store.reservations.insertOne({ _id: 'half-made', status: 'PENDING', allocations: [], missing: [], createdAt: new Date() });
    const client = createGraphQLClient('inventory', app.url, { credentials: testCredentials('orders') });
    const reserve = () =>
      client.request<{ reserveStock: { status: string } }>('mutation($input: ReserveStockInput!) { reserveStock(input: $input) { status } }', {
        input: { reservationId: 'half-made', lines: [{ sku: 'SKU-HALF', quantity: 2 }] },
      });
    try {
      // The orders worker's retry: a wait that spends none of the element's attempts
      // (kit/worker.ts), where an unexpected error used them up and parked the order.
      const refused = await reserve().catch((error: unknown) => error);
      expect(isUnavailable(refused), String(refused)).toBe(true);
      expect(String(refused)).toMatch(/being made by another call; try again/);
      expect(await quantityOf('LHR1', 'H-01', 'SKU-HALF')).toBe(3);

      await store.reservations.updateOne({ _id: 'half-made' }, { $set: { createdAt: new Date(Date.now() - 31_000) } });
      expect((await reserve()).reserveStock.status).toBe('RESERVED');
      const stock = await gql(app.url, stockQuery, { reps: [{ __typename: 'Product', sku: 'SKU-HALF' }] });
      expect(stock.data!._entities[0].stock).toEqual({ onHand: 3, reserved: 2, available: 1 });
    } finally {
      await client.close();
    }
  });
});

describe("a reservation's status as its shipments leave or are pulled", () => {
  const service = () => createGraphQLClient('inventory', app.url, { credentials: testCredentials('orders') });
  const statusOf = async (id: string) =>
    (await gql(app.url, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { reservation { status } } } }`, { reps: [{ __typename: 'Order', id }] })).data!._entities[0]
      .reservation.status as string;

  /** A reservation of one unit in LHR1 and one in FRA1: two shipments. */
  async function reservedInTwoCentres(id: string): Promise<void> {
    await adjusted(`${id}-A`, 'LHR1', 'S-01', 5);
    await adjusted(`${id}-B`, 'FRA1', 'S-02', 5);
    const client = service();
    try {
      await client.request('mutation($input: ReserveStockInput!) { reserveStock(input: $input) { status } }', {
        input: { reservationId: id, lines: [{ sku: `${id}-A`, quantity: 1 }, { sku: `${id}-B`, quantity: 1 }] },
      });
    } finally {
      await client.close();
    }
  }

  async function send(operation: string, variables: Record<string, unknown>): Promise<Record<string, boolean>> {
    const client = service();
    try {
      return await client.request<Record<string, boolean>>(operation, variables);
    } finally {
      await client.close();
    }
  }
  const commit = (reservationId: string, distributionCenter: string) =>
    send('mutation($id: ID!, $dc: String!) { commitReservation(reservationId: $id, distributionCenter: $dc) }', { id: reservationId, dc: distributionCenter });
  const release = (reservationId: string, distributionCenter: string | null) =>
    send('mutation($id: ID!, $dc: String) { releaseReservation(reservationId: $id, distributionCenter: $dc) }', { id: reservationId, dc: distributionCenter });

  it('reserves no more units than the bins hold when many orders reserve the same sku at once', async () => {
    await adjusted('SKU-SCARCE', 'LHR1', 'R-01', 3);
    await adjusted('SKU-SCARCE', 'FRA1', 'R-02', 2);
    const client = service();
    try {
      const statuses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          client
            .request<{ reserveStock: { status: string } }>('mutation($input: ReserveStockInput!) { reserveStock(input: $input) { status } }', {
              input: { reservationId: `scarce-${i}`, lines: [{ sku: 'SKU-SCARCE', quantity: 1 }] },
            })
            .then((data) => data.reserveStock.status),
        ),
      );
      expect(statuses.filter((status) => status === 'RESERVED')).toHaveLength(5);
      expect(statuses.filter((status) => status === 'INSUFFICIENT')).toHaveLength(7);
      const stock = await gql(app.url, stockQuery, { reps: [{ __typename: 'Product', sku: 'SKU-SCARCE' }] });
      expect(stock.data!._entities[0].stock).toEqual({ onHand: 5, reserved: 5, available: 0 });
    } finally {
      await client.close();
    }
  });

  it('reads RESERVED while a centre still holds units, then SHIPPED once one shipped and the other was given back; a late whole release changes nothing', async () => {
    await reservedInTwoCentres('SHIP-PART');
    await commit('SHIP-PART', 'LHR1');
    expect(await statusOf('SHIP-PART')).toBe('RESERVED'); // FRA1's unit is still held

    await release('SHIP-PART', 'FRA1');
    expect(await statusOf('SHIP-PART')).toBe('SHIPPED');

    expect(await release('SHIP-PART', null)).toEqual({ releaseReservation: false });
    expect(await statusOf('SHIP-PART')).toBe('SHIPPED');
    const stock = await gql(app.url, stockQuery, { reps: [{ __typename: 'Product', sku: 'SHIP-PART-A' }, { __typename: 'Product', sku: 'SHIP-PART-B' }] });
    expect(stock.data!._entities.map((product: { stock: unknown }) => product.stock)).toEqual([
      { onHand: 4, reserved: 0, available: 4 }, // the shipped unit left its bin
      { onHand: 5, reserved: 0, available: 5 },
    ]);
  });

  it('reads RELEASED once every centre was given back, and SHIPPED once every centre shipped', async () => {
    await reservedInTwoCentres('PULL-ALL');
    await release('PULL-ALL', 'LHR1');
    await release('PULL-ALL', 'FRA1');
    expect(await statusOf('PULL-ALL')).toBe('RELEASED');

    await reservedInTwoCentres('SHIP-ALL');
    await commit('SHIP-ALL', 'FRA1');
    await commit('SHIP-ALL', 'LHR1');
    await commit('SHIP-ALL', 'LHR1'); // delivered again
    expect(await statusOf('SHIP-ALL')).toBe('SHIPPED');
  });
});

describe('adjustStock with an idempotency key', () => {
  const keyed = (sku: string, bin: string, delta: number, idempotencyKey: string) =>
    gql(app.url, adjustStock, { input: { sku, distributionCenter: 'LHR1', bin, delta, idempotencyKey } });

  it('changes the bin once however often, or however many at once, the adjustment is retried', async () => {
    const first = await keyed('SKU-KEYED', 'K-01', 10, 'count-1');
    expect(first.data!.adjustStock.quantity).toBe(10);
    const retries = await Promise.all(Array.from({ length: 8 }, () => keyed('SKU-KEYED', 'K-01', 10, 'count-1')));
    expect(retries.flatMap(codes)).toEqual([]);
    for (const retry of retries) expect(retry.data!.adjustStock.quantity).toBe(10);
    expect(await quantityOf('LHR1', 'K-01', 'SKU-KEYED')).toBe(10);

    // Removals too, racing first attempts included: 3 units leave once.
    const removals = await Promise.all(Array.from({ length: 6 }, () => keyed('SKU-KEYED', 'K-01', -3, 'pick-1')));
    expect(removals.flatMap(codes)).toEqual([]);
    expect(await quantityOf('LHR1', 'K-01', 'SKU-KEYED')).toBe(7);
    // Without a key, each call is an adjustment of its own.
    await adjusted('SKU-KEYED', 'LHR1', 'K-01', -3);
    await adjusted('SKU-KEYED', 'LHR1', 'K-01', -3);
    expect(await quantityOf('LHR1', 'K-01', 'SKU-KEYED')).toBe(1);
  });

  it('refuses the key with another delta, and a key is the bin\'s own', async () => {
    await keyed('SKU-KEYED2', 'K-02', 5, 'k');
    const reused = await keyed('SKU-KEYED2', 'K-02', 6, 'k');
    expect(codes(reused)).toEqual(['CONFLICT']);
    expect(reused.errors![0]!.extensions!.field).toBe('idempotencyKey');
    expect(await quantityOf('LHR1', 'K-02', 'SKU-KEYED2')).toBe(5);
    expect(codes(await keyed('SKU-KEYED2', 'K-03', 4, 'k'))).toEqual([]);
    expect(await quantityOf('LHR1', 'K-03', 'SKU-KEYED2')).toBe(4);
    // A removal refused for want of stock is not remembered: the same key may be tried again once there is stock.
    expect(codes(await keyed('SKU-KEYED2', 'K-02', -9, 'short'))).toEqual(['CONFLICT']);
    await keyed('SKU-KEYED2', 'K-02', 5, 'top-up');
    expect((await keyed('SKU-KEYED2', 'K-02', -9, 'short')).data!.adjustStock.quantity).toBe(1);
  });

  it('refuses a blank, over-long or control-character key and changes nothing', async () => {
    await adjusted('SKU-KEYED3', 'LHR1', 'K-04', 2);
    for (const key of ['', '  ', 'k'.repeat(101), 'a\u0007b']) {
      expect(codes(await keyed('SKU-KEYED3', 'K-04', 1, key)), JSON.stringify(key)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await quantityOf('LHR1', 'K-04', 'SKU-KEYED3')).toBe(2);
  });
});
