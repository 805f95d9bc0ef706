import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gql, serve, silentLogger, testTokens, TestDatabases, type GraphQLResponse, type RunningApp } from '../../test/harness.ts';
import { buildVendorsService } from './server.ts';
import type { VendorStore } from './store.ts';

const dbs = new TestDatabases();
let app: RunningApp;
let store: VendorStore;

beforeAll(async () => {
  const service = await buildVendorsService({ db: await dbs.create('vendors'), logger: silentLogger, tokens: testTokens });
  store = service.store;
  app = await serve(service.handler);
});
afterAll(async () => {
  await app.close();
  await dbs.cleanup();
});

const addVendor = `mutation($input: AddVendorInput!) { addVendor(input: $input) { id name country contactEmail leadTimeDays } }`;

async function newVendor(name: string, overrides: Record<string, unknown> = {}) {
  const res = await gql(app.url, addVendor, {
    input: { name, country: 'gb', contactEmail: 'orders@vendor.example', leadTimeDays: 7, ...overrides },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.addVendor as { id: string; name: string; country: string; contactEmail: string; leadTimeDays: number };
}

const nodes = (connection: { edges: { node: unknown }[] }) => connection.edges.map((edge) => edge.node);

describe('vendors subgraph', () => {
  it('adds a vendor and reads it back by id and in the list', async () => {
    const created = await newVendor('  Initech Supplies  ');
    expect(created).toMatchObject({ name: 'Initech Supplies', country: 'GB', contactEmail: 'orders@vendor.example', leadTimeDays: 7 });
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);

    const one = await gql(app.url, `query($id: ID!) { vendor(id: $id) { id name country contactEmail leadTimeDays } }`, { id: created.id });
    expect(one.errors).toBeUndefined();
    expect(one.data!.vendor).toEqual(created);

    const list = await gql(app.url, `{ vendors(first: 100) { edges { node { id name } } } }`);
    expect(list.errors).toBeUndefined();
    expect(nodes(list.data!.vendors)).toContainEqual({ id: created.id, name: 'Initech Supplies' });
  });

  it('lists vendors by name, a page at a time', async () => {
    await newVendor('Zeta Parts');
    await newVendor('Alpha Parts');
    const res = await gql(app.url, `{ vendors(first: 100) { edges { node { name } } } }`);
    expect(res.errors).toBeUndefined();
    const names = (nodes(res.data!.vendors) as { name: string }[]).map((v) => v.name);
    expect(names).toEqual([...names].sort());
    expect(names.indexOf('Alpha Parts')).toBeLessThan(names.indexOf('Zeta Parts'));

    const paged: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(100);
      const page: GraphQLResponse = await gql(
        app.url,
        `query($after: String) { vendors(first: 1, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      expect(page.data!.vendors.edges).toHaveLength(1);
      paged.push(page.data!.vendors.edges[0]!.node.name);
      if (!page.data!.vendors.pageInfo.hasNextPage) break;
      after = page.data!.vendors.pageInfo.endCursor;
    }
    expect(paged).toEqual(names);

    const bad = await gql(app.url, `{ vendors(after: "bm90IGEgY3Vyc29y") { edges { node { name } } } }`);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers null for an unknown vendor id and BAD_USER_INPUT for a malformed one', async () => {
    const unknown = await gql(app.url, `{ vendor(id: "64b0000000000000000000ff") { id } }`);
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.vendor).toBeNull();
    for (const id of ['zz', 'nope', '64b0000000000000000000f']) {
      const malformed = await gql(app.url, `query($id: ID!) { vendor(id: $id) { id } }`, { id });
      expect(codes(malformed), id).toEqual(['BAD_USER_INPUT']);
      expect(malformed.errors![0]!.extensions!.field).toBe('id');
    }
  });

  it('answers a retried add, even sent many times at once, with the one vendor it added', async () => {
    const input = { name: 'Retried Supplies', country: 'de', contactEmail: 'retry@vendor.example', leadTimeDays: 4 };
    const answers = await Promise.all(Array.from({ length: 8 }, () => gql(app.url, addVendor, { input })));
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    const [first] = answers.map((answer) => answer.data!.addVendor);
    expect(first).toMatchObject({ name: 'Retried Supplies', country: 'DE', leadTimeDays: 4 });
    expect(new Set(answers.map((answer) => answer.data!.addVendor.id))).toEqual(new Set([first.id]));
    expect(await store.vendors.countDocuments({ name: 'Retried Supplies' })).toBe(1);
  });

  it('takes a name spelt with a combining accent as the same name as with the accented letter', async () => {
    const composed = await newVendor('Caf\u00e9 Unique');
    const again = await gql(app.url, addVendor, { input: { name: 'Cafe\u0301 Unique', country: 'gb', contactEmail: 'orders@vendor.example', leadTimeDays: 7 } });
    expect(again.errors).toBeUndefined();
    expect(again.data!.addVendor.id).toBe(composed.id);
    expect(codes(await gql(app.url, addVendor, { input: { name: 'Cafe\u0301 Unique', country: 'DE', contactEmail: 'orders@vendor.example', leadTimeDays: 7 } }))).toEqual(['CONFLICT']);
    expect(await store.vendors.countDocuments({ name: { $in: ['Caf\u00e9 Unique', 'Cafe\u0301 Unique'] } })).toBe(1);
  });

  it('takes names that differ only in letter case or spacing as one name: the same vendor for the same details, CONFLICT for others, also at once', async () => {
    const answers = await Promise.all(['Case Vendor N', 'case vendor N', ' Case  Vendor N ', 'CASE VENDOR N'].map((name) => gql(app.url, addVendor, { input: { name, country: 'gb', contactEmail: 'case@vendor.example', leadTimeDays: 7 } })));
    expect(answers.map((answer) => answer.errors)).toEqual([undefined, undefined, undefined, undefined]);
    expect(new Set(answers.map((answer) => answer.data!.addVendor.id)).size).toBe(1);
    expect(codes(await gql(app.url, addVendor, { input: { name: 'CASE  vendor n', country: 'DE', contactEmail: 'case@vendor.example', leadTimeDays: 7 } }))).toEqual(['CONFLICT']);
    expect(await store.vendors.countDocuments({ contactEmail: 'case@vendor.example' })).toBe(1);
    // Stored with its spaces run together as one.
    expect(await newVendor('Spaced   Out  Supplies')).toMatchObject({ name: 'Spaced Out Supplies' });
  });

  it('holds names of vendors stored before names were claimed, once its indexes are made again at start', async () => {
    await store.vendors.insertOne({ _id: new ObjectId(), name: 'Older Vendor Ltd', country: 'GB', contactEmail: 'old@vendor.example', leadTimeDays: 3 });
    await store.ensureIndexes();
    expect(codes(await gql(app.url, addVendor, { input: { name: 'older vendor ltd', country: 'GB', contactEmail: 'new@vendor.example', leadTimeDays: 3 } }))).toEqual(['CONFLICT']);
  });

  it('refuses a second vendor with the same name', async () => {
    await newVendor('Duplicate Distribution');
    const res = await gql(app.url, addVendor, {
      input: { name: ' Duplicate Distribution ', country: 'US', contactEmail: 'other@vendor.example', leadTimeDays: 3 },
    });
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(await store.vendors.countDocuments({ name: 'Duplicate Distribution' })).toBe(1);
    expect(await store.vendors.countDocuments({ contactEmail: 'other@vendor.example' })).toBe(0);
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const before = await store.vendors.countDocuments();
    const valid = { name: 'Bad Input Ltd', country: 'GB', contactEmail: 'ok@vendor.example', leadTimeDays: 5 };
    for (const bad of [
      { country: 'GBR' },
      { country: 'G1' },
      { country: 'XX' }, // two letters, but no country
      { country: '' },
      { contactEmail: 'not-an-email' },
      { contactEmail: 'a@b' },
      { leadTimeDays: -1 },
      { leadTimeDays: 366 },
      { name: '   ' },
      { name: 'n'.repeat(201) },
      { name: 'Acme\nSupplies' },
      { name: 'Acme \u2066Supplies\u2069' },
      { contactEmail: 'ops\u0001@vendor.example' },
    ]) {
      const res = await gql(app.url, addVendor, { input: { ...valid, ...bad } });
      expect(codes(res), JSON.stringify(bad)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await store.vendors.countDocuments()).toBe(before);
    expect(await store.vendors.countDocuments({ name: 'Bad Input Ltd' })).toBe(0);

    // The bounds themselves are allowed.
    await newVendor('Same Day Ltd', { leadTimeDays: 0 });
    await newVendor('Slow Boat Ltd', { leadTimeDays: 365 });
  });

  it('resolves many _entities references in order, null for a malformed id', async () => {
    const a = await newVendor('Entity One');
    const b = await newVendor('Entity Two');
    const res = await gql(
      app.url,
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Vendor { id name leadTimeDays } } }`,
      { reps: [b.id, 'not-an-id', a.id, '64b0000000000000000000ff'].map((id) => ({ __typename: 'Vendor', id })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([
      { id: b.id, name: 'Entity Two', leadTimeDays: 7 },
      null,
      { id: a.id, name: 'Entity One', leadTimeDays: 7 },
      null,
    ]);
  });
});
