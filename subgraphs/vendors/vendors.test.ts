import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gql, serve, silentLogger, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { buildVendorsService } from './server.ts';
import type { VendorStore } from './store.ts';

const dbs = new TestDatabases();
let app: RunningApp;
let store: VendorStore;

beforeAll(async () => {
  const service = await buildVendorsService({ db: await dbs.create('vendors'), logger: silentLogger });
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

describe('vendors subgraph', () => {
  it('adds a vendor and reads it back by id and in the list', async () => {
    const created = await newVendor('  Initech Supplies  ');
    expect(created).toMatchObject({ name: 'Initech Supplies', country: 'GB', contactEmail: 'orders@vendor.example', leadTimeDays: 7 });
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);

    const one = await gql(app.url, `query($id: ID!) { vendor(id: $id) { id name country contactEmail leadTimeDays } }`, { id: created.id });
    expect(one.errors).toBeUndefined();
    expect(one.data!.vendor).toEqual(created);

    const list = await gql(app.url, `{ vendors { id name } }`);
    expect(list.errors).toBeUndefined();
    expect(list.data!.vendors).toContainEqual({ id: created.id, name: 'Initech Supplies' });
  });

  it('lists vendors by name and honours first', async () => {
    await newVendor('Zeta Parts');
    await newVendor('Alpha Parts');
    const res = await gql(app.url, `{ vendors(first: 100) { name } }`);
    expect(res.errors).toBeUndefined();
    const names = (res.data!.vendors as { name: string }[]).map((v) => v.name);
    expect(names).toEqual([...names].sort());
    expect(names.indexOf('Alpha Parts')).toBeLessThan(names.indexOf('Zeta Parts'));

    const limited = await gql(app.url, `{ vendors(first: 1) { name } }`);
    expect(limited.data!.vendors).toHaveLength(1);
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
