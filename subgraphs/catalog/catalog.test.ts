import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { codes, gql, serve, silentLogger, testTokens, TestDatabases, type GraphQLResponse, type RunningApp } from '../../test/harness.ts';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { buildVendorsService } from '../vendors/server.ts';
import { buildCatalogService } from './server.ts';
import type { ProductStore } from './store.ts';

const dbs = new TestDatabases();
let app: RunningApp;
let store: ProductStore;

const vendorA = '64b0000000000000000000a1';
const vendorB = '64b0000000000000000000b2';
const vendorNone = '64b0000000000000000000c3';

// Catalog asks the vendors service (a real one, on its own database) whether a product's vendor exists.
let vendorsApp: RunningApp;
let closeCatalog: () => Promise<void>;
let catalogDb: Db;
let vendorStore: Awaited<ReturnType<typeof buildVendorsService>>['store'];

beforeAll(async () => {
  const vendors = await buildVendorsService({ db: await dbs.create('vendors'), logger: silentLogger, tokens: testTokens });
  vendorStore = vendors.store;
  for (const [id, name] of [[vendorA, 'Vendor A'], [vendorB, 'Vendor B']] as const) {
    await vendors.store.insert({ _id: new ObjectId(id), name, country: 'GB', contactEmail: 'a@vendor.example', leadTimeDays: 3 });
  }
  vendorsApp = await serve(vendors.handler);
  catalogDb = await dbs.create('catalog');
  const service = await buildCatalogService({ db: catalogDb, logger: silentLogger, tokens: testTokens, vendorsUrl: vendorsApp.url });
  store = service.store;
  closeCatalog = service.close;
  app = await serve(service.handler);
});
afterAll(async () => {
  await app.close();
  await closeCatalog();
  await vendorsApp.close();
  await dbs.cleanup();
});

const addProduct = `mutation($input: AddProductInput!) { addProduct(input: $input) { sku title description price { amount currency } weightGrams vendor { id } } }`;

async function newProduct(sku: string, overrides: Record<string, unknown> = {}) {
  const res = await gql(app.url, addProduct, {
    input: { sku, title: 'Widget', price: { amount: 1250, currency: 'gbp' }, weightGrams: 300, vendorId: vendorA, ...overrides },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.addProduct as { sku: string; title: string; price: { amount: number; currency: string }; vendor: { id: string } };
}

const nodes = (connection: { edges: { node: unknown }[] }) => connection.edges.map((edge) => edge.node);

describe('catalog subgraph', () => {
  it('adds a product and reads it back by sku', async () => {
    const created = await newProduct(' widget-1 ', { title: ' Blue Widget ', description: ' Small. ' });
    expect(created).toEqual({
      sku: 'WIDGET-1',
      title: 'Blue Widget',
      description: 'Small.',
      price: { amount: 1250, currency: 'GBP' },
      weightGrams: 300,
      vendor: { id: vendorA },
    });
    const res = await gql(app.url, `query($sku: String!) { product(sku: $sku) { sku title price { amount currency } vendor { id } } }`, { sku: 'WIDGET-1' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.product).toEqual({ sku: 'WIDGET-1', title: 'Blue Widget', price: { amount: 1250, currency: 'GBP' }, vendor: { id: vendorA } });

    const missing = await gql(app.url, `{ product(sku: "NO-SUCH-SKU") { sku } }`);
    expect(missing.errors).toBeUndefined();
    expect(missing.data!.product).toBeNull();
  });

  it('resolves a reference by its sku as stored, and refuses one without a usable sku (kit/blank-ids.ts)', async () => {
    const entities = (r: unknown[]) => gql(app.url, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { sku } } }', { r });
    const res = await entities([{ __typename: 'Product', sku: ' widget-1 ' }, { __typename: 'Product', sku: 'NO-SUCH-SKU' }]);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([{ sku: 'WIDGET-1' }, null]);
    for (const [reference, message] of [
      [{ __typename: 'Product', sku: null }, 'representations[0].sku must be a string'],
      [{ __typename: 'Product' }, 'representations[0].sku must be a string'],
      [{ __typename: 'Product', sku: 5 }, 'representations[0].sku must be a string'],
      [{ __typename: 'Product', sku: ' ' }, 'representations[0].sku must not be empty'],
    ] as const) {
      const refused = await entities([reference]);
      expect(refused.errors?.map((error) => [error.message, error.extensions?.code])).toEqual([[message, 'BAD_USER_INPUT']]);
    }
  });

  it('answers an empty sku with BAD_USER_INPUT, not as a product that does not exist', async () => {
    // A zero-width space shows nothing either, though String.trim keeps it.
    for (const query of ['{ product(sku: "  ") { sku } }', '{ product(sku: "\\u200b") { sku } }', '{ products(skus: ["WIDGET-1", ""]) { edges { node { sku } } } }']) {
      const res = await gql(app.url, query);
      expect(res.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message, query).toMatch(/must not be empty/);
    }
  });

  it('answers a lookup by skus that its database could not serve with DEPENDENCY_UNAVAILABLE, never as unknown skus', async () => {
    // placeOrder refuses the skus a lookup leaves out as NOT_FOUND, for good: a database that did
    // not answer must not look like products that do not exist. The same database, through a
    // client of its own that is then closed, as a process's client is when its database is gone.
    await newProduct('DOWN-1');
    const own = await new MongoClient(inject('mongoUri')).connect();
    const cut = await buildCatalogService({ db: own.db(catalogDb.databaseName), logger: silentLogger, tokens: testTokens, vendorsUrl: vendorsApp.url });
    const cutApp = await serve(cut.handler);
    try {
      const lookup = `{ products(skus: ["DOWN-1"]) { edges { node { sku } } } }`;
      expect(nodes((await gql(cutApp.url, lookup)).data!.products)).toEqual([{ sku: 'DOWN-1' }]);
      await own.close();
      const res = await gql(cutApp.url, lookup);
      expect(codes(res)).toEqual(['DEPENDENCY_UNAVAILABLE']);
      expect(res.data?.products ?? null).toBeNull();
    } finally {
      await cutApp.close();
      await cut.close().catch(() => {});
    }
  });

  it('returns exactly the known skus, by sku, leaving out unknown ones', async () => {
    await newProduct('LIST-A', { price: { amount: 100, currency: 'EUR' } });
    await newProduct('LIST-B', { price: { amount: 0, currency: 'USD' } });
    const res = await gql(app.url, `query($skus: [String!]) { products(skus: $skus) { edges { node { sku price { amount currency } } } } }`, {
      skus: ['LIST-B', 'UNKNOWN-1', 'LIST-A', 'UNKNOWN-2', 'LIST-B'],
    });
    expect(res.errors).toBeUndefined();
    expect(nodes(res.data!.products)).toEqual([
      { sku: 'LIST-A', price: { amount: 100, currency: 'EUR' } },
      { sku: 'LIST-B', price: { amount: 0, currency: 'USD' } },
    ]);

    // Asked for by sku, the list pages like any other.
    const first = await gql(app.url, `{ products(skus: ["LIST-B", "LIST-A"], first: 1) { edges { node { sku } } pageInfo { hasNextPage endCursor } } }`);
    expect(nodes(first.data!.products)).toEqual([{ sku: 'LIST-A' }]);
    expect(first.data!.products.pageInfo.hasNextPage).toBe(true);
    const next = await gql(app.url, `query($after: String) { products(skus: ["LIST-B", "LIST-A"], first: 1, after: $after) { edges { node { sku } } pageInfo { hasNextPage } } }`, {
      after: first.data!.products.pageInfo.endCursor,
    });
    expect(nodes(next.data!.products)).toEqual([{ sku: 'LIST-B' }]);
    expect(next.data!.products.pageInfo.hasNextPage).toBe(false);

    const none = await gql(app.url, `{ products(skus: ["UNKNOWN-3"]) { edges { node { sku } } } }`);
    expect(none.errors).toBeUndefined();
    expect(nodes(none.data!.products)).toEqual([]);
  });

  it('pages through all products by sku while products are added, repeating and skipping nothing', async () => {
    for (const sku of ['PAGE-B', 'PAGE-D', 'PAGE-F', 'PAGE-H']) await newProduct(sku);
    const expected = (await store.products.find({}, { projection: { _id: 1 } }).toArray()).map((p) => p._id);
    // Added while paging: one sorts before every product (behind the reader), one among them, one after all.
    const added = ['A0-BEHIND', 'PAGE-E', 'ZZ-AHEAD'];
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(100);
      const res: GraphQLResponse = await gql(app.url, `query($after: String) { products(first: 2, after: $after) { edges { cursor node { sku } } pageInfo { hasNextPage endCursor } } }`, { after });
      expect(res.errors).toBeUndefined();
      const page = res.data!.products as { edges: { node: { sku: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
      seen.push(...page.edges.map((edge: { node: { sku: string } }) => edge.node.sku));
      const sku = added.shift();
      if (sku) {
        await newProduct(sku);
        if (sku > seen.at(-1)!) expected.push(sku); // ahead of the reader: its place is still to come
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual([...expected].sort());
    expect(seen).not.toContain('A0-BEHIND');
    expect(seen).toContain('ZZ-AHEAD');
  });

  it('refuses a cursor this list did not give with BAD_USER_INPUT', async () => {
    const ordersCursor = Buffer.from(JSON.stringify(['orders', Date.now(), '64b000000000000000000001'])).toString('base64url');
    const timeCursor = Buffer.from(JSON.stringify(['products', Date.now(), 'SKU-1'])).toString('base64url');
    for (const after of ['nope!', 'bm90IGpzb24', ordersCursor, timeCursor, 'x'.repeat(600)]) {
      const res: GraphQLResponse = await gql(app.url, `query($after: String) { products(after: $after) { edges { node { sku } } } }`, { after });
      expect(codes(res), after).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.extensions!.field).toBe('after');
    }
  });

  it('answers a retried add, even sent many times at once, with the product it added', async () => {
    const input = { sku: 'retried-1', title: 'Retried', description: 'Twice.', price: { amount: 990, currency: 'GBP' }, weightGrams: 120, vendorId: vendorA };
    const answers = await Promise.all(Array.from({ length: 8 }, () => gql(app.url, addProduct, { input })));
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    for (const answer of answers) {
      expect(answer.data!.addProduct).toEqual({ sku: 'RETRIED-1', title: 'Retried', description: 'Twice.', price: { amount: 990, currency: 'GBP' }, weightGrams: 120, vendor: { id: vendorA } });
    }
    expect(await store.products.countDocuments({ _id: 'RETRIED-1' })).toBe(1);
    // Once its price has changed, the old add is no longer the product: another add with it is refused.
    const changed = await gql(app.url, `mutation { changePrice(sku: "RETRIED-1", price: { amount: 1090, currency: "GBP" }) { sku } }`);
    expect(changed.errors).toBeUndefined();
    expect(codes(await gql(app.url, addProduct, { input }))).toEqual(['CONFLICT']);
  });

  it('refuses a second product with the same sku and keeps the first', async () => {
    await newProduct('DUP-1', { title: 'Original' });
    const res = await gql(app.url, addProduct, {
      input: { sku: 'dup-1', title: 'Impostor', price: { amount: 1, currency: 'GBP' }, weightGrams: 1, vendorId: vendorB },
    });
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(await store.products.countDocuments({ _id: 'DUP-1' })).toBe(1);
    expect(await store.products.findOne({ _id: 'DUP-1' })).toMatchObject({ title: 'Original', price: { amount: 1250, currency: 'GBP' } });
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const before = await store.products.countDocuments();
    const valid = { sku: 'BAD-INPUT-1', title: 'Thing', price: { amount: 500, currency: 'GBP' }, weightGrams: 100, vendorId: vendorA };
    for (const bad of [
      { sku: 'has space' },
      { sku: 'X' },
      { sku: '-LEADING-DASH' },
      { sku: 'A'.repeat(41) },
      { title: '  ' },
      { title: 't'.repeat(201) },
      { title: 'Mug\r\nFRAGILE' },
      { title: 'Mug \u202Eecalp' },
      { description: 'Bold\u0007' },
      { description: 'd'.repeat(5_001) },
      { price: { amount: -1, currency: 'GBP' } },
      { price: { amount: 500, currency: 'POUNDS' } },
      { price: { amount: 500, currency: 'G1P' } },
      { weightGrams: 0 },
      { vendorId: 'not-a-vendor-id' },
      { vendorId: '64b0000000000000000000zz' },
    ]) {
      const res = await gql(app.url, addProduct, { input: { ...valid, ...bad } });
      expect(codes(res), JSON.stringify(bad)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await store.products.countDocuments()).toBe(before);
    // A well-formed id of a vendor that does not exist refers to nothing.
    expect(codes(await gql(app.url, addProduct, { input: { ...valid, vendorId: vendorNone } }))).toEqual(['NOT_FOUND']);
    expect(await store.products.countDocuments()).toBe(before);
    expect(await store.products.countDocuments({ _id: 'BAD-INPUT-1' })).toBe(0);
  });

  it('resolves many Product _entities by sku with one batched lookup, in order, null for unknown skus', async () => {
    await newProduct('ENT-1', { title: 'First' });
    await newProduct('ENT-2', { title: 'Second', price: { amount: 999, currency: 'EUR' } });
    const lookups = vi.spyOn(store, 'findBySkus');
    const res = await gql(
      app.url,
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { sku title price { amount currency } } } }`,
      { reps: ['ENT-2', 'ENT-MISSING', 'ENT-1'].map((sku) => ({ __typename: 'Product', sku })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([
      { sku: 'ENT-2', title: 'Second', price: { amount: 999, currency: 'EUR' } },
      null,
      { sku: 'ENT-1', title: 'First', price: { amount: 1250, currency: 'GBP' } },
    ]);
    expect(lookups).toHaveBeenCalledTimes(1);
    expect(lookups).toHaveBeenCalledWith(['ENT-2', 'ENT-MISSING', 'ENT-1']);
    lookups.mockRestore();
  });

  it('resolves Vendor _entities to the products each vendor supplies', async () => {
    await newProduct('VB-2', { vendorId: vendorB });
    await newProduct('VB-1', { vendorId: vendorB });
    await newProduct('VB-3', { vendorId: vendorB });
    const res = await gql(
      app.url,
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Vendor { id products { edges { node { sku vendor { id } } } } } } }`,
      { reps: [vendorB, vendorNone, 'not-an-id'].map((id) => ({ __typename: 'Vendor', id })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities.map((vendor: { id: string; products: { edges: { node: unknown }[] } }) => ({ id: vendor.id, products: nodes(vendor.products) }))).toEqual([
      { id: vendorB, products: ['VB-1', 'VB-2', 'VB-3'].map((sku) => ({ sku, vendor: { id: vendorB } })) },
      { id: vendorNone, products: [] },
      { id: 'not-an-id', products: [] },
    ]);

    const vendorPage = `query($reps: [_Any!]!, $after: String) { _entities(representations: $reps) { ... on Vendor { products(first: 2, after: $after) { edges { node { sku } } pageInfo { hasNextPage endCursor } } } } }`;
    const limited = await gql(app.url, vendorPage, { reps: [{ __typename: 'Vendor', id: vendorB }] });
    expect(limited.errors).toBeUndefined();
    const [first] = limited.data!._entities;
    expect(nodes(first.products)).toEqual([{ sku: 'VB-1' }, { sku: 'VB-2' }]);
    expect(first.products.pageInfo.hasNextPage).toBe(true);
    const rest = await gql(app.url, vendorPage, { reps: [{ __typename: 'Vendor', id: vendorB }], after: first.products.pageInfo.endCursor });
    expect(nodes(rest.data!._entities[0].products)).toEqual([{ sku: 'VB-3' }]);
    expect(rest.data!._entities[0].products.pageInfo.hasNextPage).toBe(false);
  });

  it("names a product's vendor from the product, so a vendors service that is down takes nothing from the answer", async () => {
    await newProduct('NAMED-1', { vendorId: vendorB });
    // The same database, with a vendors service that is not there.
    const cut = await buildCatalogService({ db: catalogDb, logger: silentLogger, tokens: testTokens, vendorsUrl: 'http://127.0.0.1:9/graphql' });
    const cutApp = await serve(cut.handler);
    try {
      const res = await gql(cutApp.url, `{ product(sku: "NAMED-1") { vendor { id name } } }`);
      expect(res.errors).toBeUndefined();
      expect(res.data!.product).toEqual({ vendor: { id: vendorB, name: 'Vendor B' } });
    } finally {
      await cutApp.close();
      await cut.close();
    }
  });

  it('asks vendors, in one request, for the names of vendors of products stored before catalog kept them', async () => {
    for (const [sku, vendorId] of [['OLD-A', vendorA], ['OLD-B', vendorB], ['OLD-A2', vendorA], ['OLD-GONE', vendorNone]] as const) {
      await store.insert({ _id: sku, title: 'Old', description: '', price: { amount: 100, currency: 'GBP' }, weightGrams: 10, vendorId: new ObjectId(vendorId) });
    }
    const query = `{ products(skus: ["OLD-A", "OLD-B", "OLD-A2", "OLD-GONE"]) { edges { node { sku vendor { id name } } } } }`;
    const lookups = vi.spyOn(vendorStore, 'findByIds');
    const res = await gql(app.url, query);
    expect(res.errors).toBeUndefined();
    expect(nodes(res.data!.products)).toEqual([
      { sku: 'OLD-A', vendor: { id: vendorA, name: 'Vendor A' } },
      { sku: 'OLD-A2', vendor: { id: vendorA, name: 'Vendor A' } },
      { sku: 'OLD-B', vendor: { id: vendorB, name: 'Vendor B' } },
      { sku: 'OLD-GONE', vendor: null },
    ]);
    // Each vendor once, in one batch.
    expect(lookups.mock.calls.map(([ids]) => ids.map(String).sort())).toEqual([[vendorA, vendorB, vendorNone].sort()]);
    lookups.mockRestore();

    // Without vendors, such a product has no vendor, and the error says why.
    const cut = await buildCatalogService({ db: catalogDb, logger: silentLogger, tokens: testTokens, vendorsUrl: 'http://127.0.0.1:9/graphql' });
    const cutApp = await serve(cut.handler);
    try {
      const down = await gql(cutApp.url, `{ product(sku: "OLD-A") { sku vendor { name } } }`);
      expect(down.data!.product).toEqual({ sku: 'OLD-A', vendor: null });
      expect(codes(down)).toEqual(['DEPENDENCY_UNAVAILABLE']);
    } finally {
      await cutApp.close();
      await cut.close();
    }
  });
});
