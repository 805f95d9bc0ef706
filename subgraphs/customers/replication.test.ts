import { createServer, type IncomingMessage } from 'node:http';
import { composeServices } from '@apollo/composition';
import { parse, type GraphQLObjectType } from 'graphql';
import { ObjectId, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeServer } from '../../kit/http.ts';
import { renderMetrics } from '../../kit/metrics.ts';
import { codes, eventually, gql, serve, silentLogger, testTokens, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { buildCustomersService, type CopySettings } from './server.ts';
import { CustomerStore, MAX_ADDRESSES } from './store.ts';

// Three copies of the customer domain, each with its own database and its own HTTP server:
// home (US) and replicas in the UK and Germany. Each replica reaches home through a proxy
// the tests can cut, to make a partition between that region and home.

interface RunningCopy {
  service: Awaited<ReturnType<typeof buildCustomersService>>;
  app: RunningApp;
  db: Db;
  settings: CopySettings;
}

const dbs = new TestDatabases();
let home: RunningCopy;
let uk: RunningCopy;
let de: RunningCopy;
let ukLink: Link;
let deLink: Link;

async function startCopy(db: Db, settings: CopySettings, port = 0): Promise<RunningCopy> {
  const service = await buildCustomersService({ db, logger: silentLogger, tokens: testTokens, copy: settings });
  return { service, app: await serve(service.handler, port), db, settings };
}

/** Stops a copy as if its process died: its HTTP server and its loops. */
async function stopCopy(copy: RunningCopy): Promise<void> {
  await copy.app.close();
  await copy.service.close();
}

const restartCopy = (copy: RunningCopy, port = 0) => startCopy(copy.db, copy.settings, port);

/**
 * The network between a region and home. `cut` drops every request (a partition);
 * `loseReplies` lets requests through to home but drops what home answers (the request
 * took effect; the sender cannot know); `hold` keeps requests from reaching home while it says so
 * (home slow to take a region's writes, while the region still reads home's log).
 */
interface Link {
  url: string;
  cut: boolean;
  loseReplies: (body: string) => boolean;
  hold: (body: string) => boolean;
  close(): Promise<void>;
}

async function link(target: () => string): Promise<Link> {
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };
  const state: Link = { url: '', cut: false, loseReplies: () => false, hold: () => false, close: async () => {} };
  const server = createServer(async (req, res) => {
    if (state.cut) return req.socket.destroy();
    const body = await read(req);
    while (state.hold(body) && !state.cut) await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      const upstream = await fetch(target(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body });
      const text = await upstream.text();
      if (state.cut || state.loseReplies(body)) return req.socket.destroy();
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
    } catch {
      req.socket.destroy(); // home is down
    }
  });
  server.keepAliveTimeout = 65_000;
  const { port } = await new Promise<{ port: number }>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address() as { port: number })));
  state.url = `http://127.0.0.1:${port}/graphql`;
  state.close = () => closeServer(server);
  return state;
}

/** A replica's gauge as /metrics shows it (every copy in this file shares the process's registry). */
async function gauge(name: string, region: 'UK' | 'DE'): Promise<number | undefined> {
  const line = (await renderMetrics()).split('\n').find((row) => row.startsWith(`${name}{region="${region}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const replica = (region: 'UK' | 'DE', homeUrl: string): CopySettings => ({ role: 'replica', region, homeUrl, pollIntervalMs: 20, writeWaitMs: 5_000 });

beforeAll(async () => {
  home = await startCopy(await dbs.create('customers_home'), { role: 'home', region: 'US' });
  ukLink = await link(() => home.app.url);
  deLink = await link(() => home.app.url);
  uk = await startCopy(await dbs.create('customers_uk'), replica('UK', ukLink.url));
  de = await startCopy(await dbs.create('customers_de'), replica('DE', deLink.url));
});

afterAll(async () => {
  for (const copy of [uk, de, home]) await stopCopy(copy).catch(() => {});
  await ukLink.close();
  await deLink.close();
  await dbs.cleanup();
});

const customerFields = `id name email homeRegion version unconfirmedWrites addresses { id line1 city country } paymentMethods { id token brand last4 expMonth expYear }`;
const addCustomer = `mutation($input: AddCustomerInput!) { addCustomer(input: $input) { ${customerFields} } }`;
const addAddress = `mutation($id: ID!, $input: AddressInput!) { addAddress(customerId: $id, input: $input) { ${customerFields} } }`;
const addCard = `mutation($id: ID!, $input: PaymentMethodInput!) { addPaymentMethod(customerId: $id, input: $input) { ${customerFields} } }`;
const keyedAddress = `mutation($id: ID!, $input: AddressInput!, $key: String) { addAddress(customerId: $id, input: $input, idempotencyKey: $key) { ${customerFields} } }`;
const keyedCustomer = `mutation($input: AddCustomerInput!, $key: String) { addCustomer(input: $input, idempotencyKey: $key) { ${customerFields} } }`;
const statusQuery = `{ replicationStatus { region role appliedSeq homeSeq lagEntries lagMs lastContactAt homeReachable pendingWrites rejectedWrites } }`;

interface CustomerView {
  id: string;
  email: string;
  version: number;
  unconfirmedWrites: number;
  addresses: { id: string; line1: string }[];
  paymentMethods: { id: string; last4: string; token: string }[];
}
interface StatusView {
  region: string;
  role: string;
  appliedSeq: number;
  homeSeq: number;
  lagEntries: number;
  lagMs: number;
  lastContactAt: string | null;
  homeReachable: boolean;
  pendingWrites: number;
  rejectedWrites: number;
}

async function ok<T>(url: string, query: string, variables: Record<string, unknown> = {}, as: { token?: string } = {}): Promise<T> {
  const res = await gql(url, query, variables, as);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

/** A regional replica's own credentials, as it calls home. */
const asReplica = async (region: 'uk' | 'de') => ({ token: await testTokens.sign({ subject: `service:customers-${region}`, scopes: ['service'] }) });

const customerAt = async (copy: RunningCopy, id: string) =>
  (await ok<{ customer: CustomerView | null }>(copy.app.url, `query($id: ID!) { customer(id: $id) { ${customerFields} } }`, { id })).customer;
const statusOf = async (copy: RunningCopy) => (await ok<{ replicationStatus: StatusView }>(copy.app.url, statusQuery)).replicationStatus;

let emails = 0;
async function newCustomer(copy: RunningCopy, name = 'Ada Lovelace'): Promise<CustomerView> {
  const input = { name, email: `c${++emails}-${Date.now()}@example.com`, homeRegion: 'UK', address: { line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB' } };
  return (await ok<{ addCustomer: CustomerView }>(copy.app.url, addCustomer, { input })).addCustomer;
}
const address = (line1: string) => ({ line1, city: 'Leeds', postalCode: 'LS1', country: 'GB' });
const card = (last4Digits: '4242' | '4444' = '4242') => ({ cardNumber: last4Digits === '4242' ? '4242424242424242' : '5555555555554444', expMonth: 12, expYear: 2035 });

/** Waits until home holds this customer at `version` (at least) and every copy holds it exactly as home does; returns it. */
async function sameEverywhere(id: string, version = 0, copies = [uk, de]): Promise<CustomerView> {
  const atHome = await eventually(() => customerAt(home, id), (c) => c !== null && c.version >= version, 10_000);
  for (const copy of copies) await eventually(() => customerAt(copy, id), (c) => JSON.stringify(c) === JSON.stringify(atHome), 10_000);
  return atHome!;
}

async function caughtUp(copy: RunningCopy): Promise<StatusView> {
  const homeSeq = (await statusOf(home)).appliedSeq;
  return eventually(() => statusOf(copy), (s) => s.homeReachable && s.appliedSeq >= homeSeq && s.lagEntries === 0 && s.pendingWrites === 0, 10_000);
}

/** Runs `work` while the UK cannot reach home (and knows it), then joins them again. */
async function whileUkCutOff<T>(work: () => Promise<T>): Promise<T> {
  ukLink.cut = true;
  try {
    await eventually(() => statusOf(uk), (s) => !s.homeReachable);
    return await work();
  } finally {
    ukLink.cut = false;
  }
}

describe('customer data replicated to regions', () => {
  it('a write made at home or at any replica reaches the home copy and every replica', async () => {
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);

    // Made in the UK: home has it when the mutation answers, and the UK copy shows it at once.
    const inUk = (await ok<{ addAddress: CustomerView }>(uk.app.url, addAddress, { id: ada.id, input: address('2 Leeds Rd') })).addAddress;
    expect(inUk.addresses.map((a) => a.line1)).toEqual(['1 Main St', '2 Leeds Rd']);
    expect(inUk.version).toBe(1);
    expect((await customerAt(home, ada.id))!.addresses).toHaveLength(2);
    expect((await customerAt(uk, ada.id))!.version).toBe(1);

    // Made in Germany: tokenised there; the card number goes nowhere.
    const inDe = (await ok<{ addPaymentMethod: CustomerView }>(de.app.url, addCard, { id: ada.id, input: card() })).addPaymentMethod;
    expect(inDe.paymentMethods).toEqual([expect.objectContaining({ last4: '4242', token: expect.stringMatching(/^tok_/) })]);
    const everywhere = await sameEverywhere(ada.id, 2);
    expect(everywhere.version).toBe(2);

    // A customer created at a replica exists everywhere under the id the replica gave it.
    const bob = await newCustomer(uk, 'Bob');
    expect((await customerAt(home, bob.id))!.email).toBe(bob.email);
    await sameEverywhere(bob.id);

    for (const copy of [home, uk, de]) {
      for (const name of (await copy.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name)) {
        expect(JSON.stringify(await copy.db.collection(name).find().toArray())).not.toContain('4242424242424242');
      }
    }
    for (const copy of [uk, de]) {
      const status = await caughtUp(copy);
      expect(status).toMatchObject({ role: 'REPLICA', region: copy === uk ? 'UK' : 'DE', lagMs: 0, rejectedWrites: 0 });
      expect(status.lastContactAt).not.toBeNull();
    }
    expect(await statusOf(home)).toMatchObject({ role: 'HOME', region: 'US', lagEntries: 0, lagMs: 0, pendingWrites: 0, homeReachable: true });
  });

  it('several writes to one customer from a region arrive everywhere in the order they were made', async () => {
    const { id } = await newCustomer(uk);
    await sameEverywhere(id);
    ukLink.cut = true; // queue them up, so they travel together
    try {
      let last: CustomerView | undefined;
      for (let i = 1; i <= 5; i++) last = (await ok<{ addAddress: CustomerView }>(uk.app.url, addAddress, { id, input: address(`${i} Queue St`) })).addAddress;
      // Answered as it will be: every queued write applied to the local copy, in order.
      expect(last!.addresses.map((a) => a.line1)).toEqual(['1 Main St', '1 Queue St', '2 Queue St', '3 Queue St', '4 Queue St', '5 Queue St']);
      expect((await statusOf(uk)).pendingWrites).toBe(5);
      expect(last!.unconfirmedWrites).toBe(5); // ...and say home has yet to confirm them
      expect(await customerAt(uk, id)).toEqual(last); // reads show the queued writes too...
      expect((await uk.service.store.findById(new ObjectId(id)))!.addresses).toHaveLength(1); // ...which are not stored as a replicated version
    } finally {
      ukLink.cut = false;
    }
    const atHome = await sameEverywhere(id, 5); // confirmed: 0 at UK as at home
    expect(atHome.unconfirmedWrites).toBe(0);
    expect(atHome.addresses.map((a) => a.line1)).toEqual(['1 Main St', '1 Queue St', '2 Queue St', '3 Queue St', '4 Queue St', '5 Queue St']);
    expect(atHome.version).toBe(5);
    await caughtUp(uk);
  });

  it('a replica that was down catches up, in order, and applies each change once', async () => {
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);
    await stopCopy(de);
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await newCustomer(i % 2 ? uk : home, `Customer ${i}`)).id);
    for (let i = 1; i <= 4; i++) await ok(i % 2 ? uk.app.url : home.app.url, addAddress, { id: ada.id, input: address(`${i} Offline Rd`) });
    await ok(uk.app.url, addCard, { id: ada.id, input: card('4444') });

    const applied = vi.spyOn(CustomerStore.prototype, 'applyReplicated');
    try {
      de = await restartCopy(de);
      await sameEverywhere(ada.id, 5, [de]);
      for (const id of made) await sameEverywhere(id, 0, [de]);
      await caughtUp(de);
      // Each version of the customer was stored once, in order: 1, 2, 3, 4, 5.
      const calls = applied.mock.calls.map(([state], i) => ({ state, context: applied.mock.contexts[i], stored: applied.mock.results[i] }));
      const stored = await Promise.all(
        calls.filter((call) => call.context === de.service.store && call.state._id.toHexString() === ada.id).map(async (call) => ({ version: call.state.version, stored: await call.stored!.value })),
      );
      expect(stored.filter((call) => call.stored).map((call) => call.version)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      applied.mockRestore();
    }
    const final = (await customerAt(de, ada.id))!;
    expect(final.addresses.map((a) => a.line1)).toEqual(['1 Main St', '1 Offline Rd', '2 Offline Rd', '3 Offline Rd', '4 Offline Rd']);
    expect(final.paymentMethods.map((m) => m.last4)).toEqual(['4444']);
  });

  it('serves reads while the home copy is down, queues writes, and sends them when home is back', async () => {
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);
    const homePort = home.app.port;
    await stopCopy(home);
    try {
      expect((await customerAt(uk, ada.id))!.email).toBe(ada.email);
      const list = await ok<{ customers: { edges: { node: { id: string } }[] } }>(de.app.url, `{ customers(first: 100) { edges { node { id } } } }`);
      expect(list.customers.edges.map((edge) => edge.node.id)).toContain(ada.id);
      const entities = await ok<{ _entities: { email: string }[] }>(uk.app.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { email } } }`, {
        r: [{ __typename: 'Customer', id: ada.id }],
      });
      expect(entities._entities).toEqual([{ email: ada.email }]);

      const down = await eventually(() => statusOf(uk), (s) => !s.homeReachable && s.lagMs >= 100);
      expect(down.lastContactAt).not.toBeNull();

      const queued = (await ok<{ addAddress: CustomerView }>(uk.app.url, addAddress, { id: ada.id, input: address('9 Outage Ave') })).addAddress;
      expect(queued.addresses.map((a) => a.line1)).toEqual(['1 Main St', '9 Outage Ave']);
      expect((await statusOf(uk)).pendingWrites).toBe(1);
      // What an operator's alerts read (observability/alerts.yml).
      expect(await gauge('customers_replication_home_reachable', 'UK')).toBe(0);
      expect(await gauge('customers_replication_pending_writes', 'UK')).toBe(1);
      expect(await gauge('customers_replication_lag_seconds', 'UK')).toBeGreaterThanOrEqual(0.1);
    } finally {
      home = await restartCopy(home, homePort);
    }
    const atHome = await sameEverywhere(ada.id, 1);
    expect(atHome.addresses.map((a) => a.line1)).toEqual(['1 Main St', '9 Outage Ave']);
    await caughtUp(uk);
    await caughtUp(de);
    await eventually(() => gauge('customers_replication_home_reachable', 'UK'), (reachable) => reachable === 1);
    expect(await gauge('customers_replication_pending_writes', 'UK')).toBe(0);
  });

  it('a replica cut off from home reads its own queued writes: what a mutation answered is what a read then shows', async () => {
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);
    ukLink.cut = true;
    let grace: CustomerView;
    try {
      await eventually(() => statusOf(uk), (s) => !s.homeReachable);
      const queued = (await ok<{ addAddress: CustomerView }>(uk.app.url, addAddress, { id: ada.id, input: address('7 Partition Rd') })).addAddress;
      expect(await customerAt(uk, ada.id)).toEqual(queued);

      grace = await newCustomer(uk, 'Grace Hopper');
      expect(await customerAt(uk, grace.id)).toEqual(grace);
      const withCard = (await ok<{ addPaymentMethod: CustomerView }>(uk.app.url, addCard, { id: grace.id, input: card() })).addPaymentMethod;
      expect(await customerAt(uk, grace.id)).toEqual(withCard);
      expect(withCard.unconfirmedWrites).toBe(2);
      // The list shows her as her own read does: added here, and with the card added since.
      const listed = await ok<{ customers: { edges: { node: CustomerView }[] } }>(uk.app.url, `{ customers(first: 100) { edges { node { ${customerFields} } } } }`);
      expect(listed.customers.edges.map((edge) => edge.node).filter((node) => node.id === grace.id || node.id === ada.id)).toEqual([withCard, queued]);
      const entities = await ok<{ _entities: ({ email: string; addresses: unknown[] } | null)[] }>(
        uk.app.url,
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { email addresses { id } } } }`,
        { r: [{ __typename: 'Customer', id: grace.id }, { __typename: 'Customer', id: ada.id }] },
      );
      expect(entities._entities.map((c) => [c?.email, c?.addresses.length])).toEqual([[grace.email, 1], [ada.email, 2]]);
    } finally {
      ukLink.cut = false;
    }
    await sameEverywhere(grace!.id, 1);
    expect((await sameEverywhere(ada.id, 1)).addresses.map((a) => a.line1)).toEqual(['1 Main St', '7 Partition Rd']);
    await caughtUp(uk);
  });

  it('a write retried with its idempotency key at a replica cut off from home is made once, there and at home', async () => {
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);
    const queued = await whileUkCutOff(async () => {
      const first = (await ok<{ addAddress: CustomerView }>(uk.app.url, keyedAddress, { id: ada.id, input: address('8 Retry Rd'), key: 'move-1' })).addAddress;
      const retried = (await ok<{ addAddress: CustomerView }>(uk.app.url, keyedAddress, { id: ada.id, input: address('8 Retry Rd'), key: 'move-1' })).addAddress;
      expect(retried.addresses).toEqual(first.addresses);
      expect(codes(await gql(uk.app.url, keyedAddress, { id: ada.id, input: address('9 Other Rd'), key: 'move-1' }))).toEqual(['CONFLICT']);
      return first;
    });
    // Home gets the queued writes and keeps one address; a retry made at home now is the same one.
    const atHome = await sameEverywhere(ada.id, 1);
    expect(atHome.addresses).toEqual(queued.addresses);
    expect(atHome.version).toBe(1);
    const againAtHome = (await ok<{ addAddress: CustomerView }>(home.app.url, keyedAddress, { id: ada.id, input: address('8 Retry Rd'), key: 'move-1' })).addAddress;
    expect(againAtHome.addresses.map((a) => a.line1)).toEqual(['1 Main St', '8 Retry Rd']);
    await caughtUp(uk);
  });

  it('a customer added with an idempotency key at a replica cut off from home, and retried there, is added once', async () => {
    const input = { name: 'Hedy Lamarr', email: `keyed-${Date.now()}@example.com`, homeRegion: 'UK', address: address('4 Signup St') };
    const queued = await whileUkCutOff(async () => {
      const first = (await ok<{ addCustomer: CustomerView }>(uk.app.url, keyedCustomer, { input, key: 'signup' })).addCustomer;
      const retried = (await ok<{ addCustomer: CustomerView }>(uk.app.url, keyedCustomer, { input, key: 'signup' })).addCustomer;
      expect(retried).toEqual(first);
      // The retry is queued too, for home's own answer to it: home applies the customer once.
      expect((await statusOf(uk)).pendingWrites).toBe(2);
      return first;
    });
    const atHome = await sameEverywhere(queued.id);
    expect(atHome.email).toBe(input.email);
    const retriedAtHome = (await ok<{ addCustomer: CustomerView }>(home.app.url, keyedCustomer, { input, key: 'signup' })).addCustomer;
    expect(retriedAtHome.id).toBe(queued.id);
    await caughtUp(uk);
  });

  it('queues one write of a key at a replica cut off from home, however many requests race with it, and refuses the rest', async () => {
    const stamp = Date.now();
    const rejectedBefore = (await statusOf(uk)).rejectedWrites;
    await whileUkCutOff(async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => gql(uk.app.url, keyedCustomer, { input: { name: 'Race', email: `race${i}-${stamp}@example.com`, homeRegion: 'UK' }, key: `race-${stamp}` })),
      );
      expect(results.filter((res) => !res.errors)).toHaveLength(1);
      for (const res of results.filter((r) => r.errors)) expect(res.errors![0]!.extensions!.field).toBe('idempotencyKey');
      expect((await statusOf(uk)).pendingWrites).toBe(1);
    });
    await caughtUp(uk);
    expect((await statusOf(uk)).rejectedWrites).toBe(rejectedBefore);
  });

  it("tells every request that repeats a replica's queued write what home answers to it, not success at once", async () => {
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);
    // Home has the key for one address; the UK has not heard of it yet and is sent another, six times at once.
    await whileUkCutOff(() => ok(home.app.url, keyedAddress, { id: ada.id, input: address('1 Home Rd'), key: 'told' }));
    const answers = await Promise.all(Array.from({ length: 6 }, () => gql(uk.app.url, keyedAddress, { id: ada.id, input: address('2 Away Rd'), key: 'told' })));
    for (const answer of answers) {
      expect(codes(answer)).toEqual(['CONFLICT']);
      expect(answer.errors![0]!.extensions!.field).toBe('idempotencyKey');
    }
    expect((await sameEverywhere(ada.id, 1)).addresses.map((a) => a.line1)).toEqual(['1 Main St', '1 Home Rd']);
    await caughtUp(uk);
  });

  it('records as rejected a keyed address a replica cut off from home accepted, when home had the key for another address', async () => {
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);
    const rejectedBefore = (await statusOf(uk)).rejectedWrites;
    await whileUkCutOff(async () => {
      await ok(home.app.url, keyedAddress, { id: ada.id, input: address('1 Home Rd'), key: 'both' });
      // The replica cannot know: it answers with the write queued, as for any write made while cut off.
      await ok(uk.app.url, keyedAddress, { id: ada.id, input: address('2 Away Rd'), key: 'both' });
    });
    const atHome = await sameEverywhere(ada.id, 1);
    expect(atHome.addresses.map((a) => a.line1)).toEqual(['1 Main St', '1 Home Rd']);
    const status = await caughtUp(uk);
    expect(status.rejectedWrites).toBe(rejectedBefore + 1);
  });

  it('answers CONFLICT for an address that writes made elsewhere left no room for while home was slow to take it, and never shows more than a customer may have', async () => {
    const ada = await newCustomer(home);
    for (let i = 2; i <= MAX_ADDRESSES - 1; i++) await ok(home.app.url, addAddress, { id: ada.id, input: address(`${i} Full Street`) });
    await sameEverywhere(ada.id, MAX_ADDRESSES - 2);
    const rejectedBefore = (await statusOf(uk)).rejectedWrites;
    ukLink.hold = (body) => body.includes('applyWrites');
    try {
      // The UK takes the 50th address and forwards it; home is slow to take it...
      const away = gql(uk.app.url, addAddress, { id: ada.id, input: address('50 Away Road') });
      await eventually(() => statusOf(uk), (s) => s.pendingWrites === 1);
      // ...and meanwhile takes another region's 50th, which the UK reads in home's log.
      await ok(home.app.url, addAddress, { id: ada.id, input: address('50 Home Road') });
      const seen = await eventually(() => customerAt(uk, ada.id), (c) => c!.addresses.some((a) => a.line1 === '50 Home Road'));
      expect(seen!.addresses).toHaveLength(MAX_ADDRESSES);
      const answer = await away;
      expect(codes(answer)).toEqual(['CONFLICT']);
      expect(answer.errors![0]!.message).toContain(`has ${MAX_ADDRESSES} addresses`);
    } finally {
      ukLink.hold = () => false;
    }
    // Home refuses it when it comes; every copy holds the 50 home took.
    const atHome = await sameEverywhere(ada.id, MAX_ADDRESSES - 1);
    expect(atHome.addresses.map((a) => a.line1)).not.toContain('50 Away Road');
    expect((await caughtUp(uk)).rejectedWrites).toBe(rejectedBefore + 1);
  });

  it("takes a write for a customer home has and it has not pulled yet (home asked), and says it cannot tell while home is out of reach, not that there is no such customer", async () => {
    ukLink.hold = (body) => body.includes('ReplicationLog');
    try {
      // Signed up at home a moment ago; the UK has not read it in home's log.
      const ada = await newCustomer(home, 'Ada Just Joined');
      expect(await customerAt(uk, ada.id)).toBeNull();
      const added = await ok<{ addPaymentMethod: CustomerView }>(uk.app.url, addCard, { id: ada.id, input: card() });
      expect(added.addPaymentMethod).toMatchObject({ id: ada.id, name: 'Ada Just Joined', unconfirmedWrites: 0 });
      expect(added.addPaymentMethod.paymentMethods).toHaveLength(1);
      expect((await customerAt(home, ada.id))!.paymentMethods).toHaveLength(1);
      // One that home does not have either is still NOT_FOUND.
      expect(codes(await gql(uk.app.url, addAddress, { id: new ObjectId().toHexString(), input: address('1 Nowhere Rd') }))).toEqual(['NOT_FOUND']);
      const grace = await newCustomer(home, 'Grace Just Joined');
      await whileUkCutOff(async () => {
        const refused = await gql(uk.app.url, addAddress, { id: grace.id, input: address('1 Cut Off Rd') });
        expect(codes(refused)).toEqual(['DEPENDENCY_UNAVAILABLE']);
        expect(refused.errors![0]!.message).toContain('not in this regional copy yet');
      });
    } finally {
      ukLink.hold = () => false;
    }
    await caughtUp(uk);
  });

  it('a write home committed but had not logged when its process died reaches the replicas after a restart', async () => {
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);
    // What a process that died between the write and its log entry leaves behind.
    await home.service.store.addAddress(new ObjectId(ada.id), { id: new ObjectId().toHexString(), line1: '3 Crash Ct', city: 'Leeds', postalCode: 'LS1', country: 'GB' });
    await stopCopy(home);
    home = await restartCopy(home, home.app.port);
    const atHome = await sameEverywhere(ada.id, 1);
    expect(atHome.addresses.map((a) => a.line1)).toEqual(['1 Main St', '3 Crash Ct']);
  });

  it('a write made during a partition is neither lost nor applied twice, even when home applied it and its answer was lost', async () => {
    let lost = 0;
    const lostReplies = () => lost;
    const ada = await newCustomer(home);
    await sameEverywhere(ada.id);
    const rejectedBefore = { uk: (await statusOf(uk)).rejectedWrites, home: (await statusOf(home)).rejectedWrites };
    ukLink.cut = true; // the UK cannot reach home; Germany can
    let rejectedId: string;
    try {
      const taken = await newCustomer(de, 'Taken Elsewhere');
      const address1 = (await ok<{ addAddress: CustomerView }>(uk.app.url, addAddress, { id: ada.id, input: address('7 Partition Pl') })).addAddress;
      const withCard = (await ok<{ addPaymentMethod: CustomerView }>(uk.app.url, addCard, { id: ada.id, input: card() })).addPaymentMethod;
      expect(address1.addresses).toHaveLength(2);
      expect(withCard.addresses).toHaveLength(2);
      expect(withCard.paymentMethods).toHaveLength(1);
      // Made in the UK, with an email Germany has just taken: home will refuse it.
      const input = { name: 'Late', email: taken.email, homeRegion: 'UK' };
      rejectedId = (await ok<{ addCustomer: CustomerView }>(uk.app.url, addCustomer, { input })).addCustomer.id;

      expect((await statusOf(uk)).pendingWrites).toBe(3);
      expect((await statusOf(de)).homeReachable).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await customerAt(home, ada.id))!.addresses).toHaveLength(1);
      expect((await customerAt(de, ada.id))!.addresses).toHaveLength(1);
    } finally {
      // The link comes back, but home's first answer to the UK's writes is lost on the way.
      ukLink.loseReplies = (body) => body.includes('applyWrites') && lost++ === 0;
      ukLink.cut = false;
    }
    const atHome = await sameEverywhere(ada.id, 2);
    // The case this test is about did happen. Home may show the write before its answer is
    // back at the link (where it is lost), so wait for that too.
    await eventually(async () => lostReplies(), (count) => count >= 1);
    expect(atHome.addresses.map((a) => a.line1)).toEqual(['1 Main St', '7 Partition Pl']);
    expect(atHome.paymentMethods).toHaveLength(1);
    expect(atHome.version).toBe(2);
    ukLink.loseReplies = () => false;

    const ukStatus = await caughtUp(uk);
    expect(ukStatus.rejectedWrites).toBe(rejectedBefore.uk + 1);
    for (const copy of [home, uk, de]) expect(await customerAt(copy, rejectedId!)).toBeNull();
    expect((await statusOf(home)).rejectedWrites).toBe(rejectedBefore.home + 1);
  });

  it('refuses bad input at a replica with a clear error and writes nothing', async () => {
    const ada = await newCustomer(uk);
    await sameEverywhere(ada.id);
    const headBefore = await uk.db.collection('outgoingWrites_head').findOne({ _id: 'head' as never });
    const before = await statusOf(uk);

    const badCard = await gql(uk.app.url, addCard, { id: ada.id, input: { cardNumber: '4242424242424241', expMonth: 1, expYear: 2035 } });
    expect(codes(badCard)).toEqual(['BAD_USER_INPUT']);
    const badEmail = await gql(uk.app.url, addCustomer, { input: { name: 'X', email: 'not-an-email', homeRegion: 'UK' } });
    expect(codes(badEmail)).toEqual(['BAD_USER_INPUT']);
    const badCountry = await gql(uk.app.url, addAddress, { id: ada.id, input: { ...address('1 A St'), country: 'Britain' } });
    expect(codes(badCountry)).toEqual(['BAD_USER_INPUT']);
    const malformed = await gql(uk.app.url, addAddress, { id: 'nope', input: address('1 A St') });
    expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
    const unknown = await gql(uk.app.url, addAddress, { id: '64b0000000000000000000ff', input: address('1 A St') });
    expect(codes(unknown)).toEqual(['NOT_FOUND']);
    const duplicate = await gql(uk.app.url, addCustomer, { input: { name: 'Again', email: ada.email, homeRegion: 'UK' } });
    expect(codes(duplicate)).toEqual(['CONFLICT']);

    expect(await uk.db.collection('outgoingWrites_head').findOne({ _id: 'head' as never })).toEqual(headBefore);
    expect(await statusOf(uk)).toMatchObject({ pendingWrites: 0, rejectedWrites: before.rejectedWrites });
    expect(await customerAt(home, ada.id)).toEqual(await customerAt(uk, ada.id));
    expect((await customerAt(home, ada.id))!.version).toBe(0);
  });

  it('keeps the replication interface internal: the gateway hides it, a replica refuses it', async () => {
    const { sdl } = (await ok<{ _service: { sdl: string } }>(uk.app.url, `{ _service { sdl } }`))._service;
    const composed = composeServices([{ name: 'customers', url: 'http://customers/graphql', typeDefs: parse(sdl) }]);
    expect(composed.errors).toBeUndefined();
    const api = composed.schema!.toAPISchema().toGraphQLJSSchema();
    expect(Object.keys((api.getType('Query') as GraphQLObjectType).getFields())).toEqual(expect.arrayContaining(['replicationStatus']));
    expect(Object.keys((api.getType('Query') as GraphQLObjectType).getFields())).not.toContain('replicationLog');
    expect(Object.keys((api.getType('Mutation') as GraphQLObjectType).getFields())).not.toContain('applyWrites');

    const log = await gql(uk.app.url, `{ replicationLog(after: 0) { headSeq } }`, {}, await asReplica('de'));
    expect(codes(log)).toEqual(['BAD_USER_INPUT']);
    const badWrite = await gql(home.app.url, `mutation { applyWrites(region: UK, writes: [{ writeId: "x", kind: ADD_ADDRESS, customerId: "64b0000000000000000000ff", at: "now" }]) { status } }`, {}, await asReplica('uk'));
    expect(codes(badWrite)).toEqual(['BAD_USER_INPUT']);
  });

  it("takes the replication interface from the replicas alone: another service may neither read every customer's cards in the log nor write as a region", async () => {
    const ada = await newCustomer(home, 'Ada Interface');
    const write = (line1: string) => ({ writeId: new ObjectId().toHexString(), kind: 'ADD_ADDRESS', customerId: ada.id, at: new Date().toISOString(), address: { id: new ObjectId().toHexString(), line1, city: 'Leeds', postalCode: 'LS1', country: 'GB' } });
    const applyWrites = `mutation($region: Region!, $w: [ReplicatedWrite!]!) { applyWrites(region: $region, writes: $w) { status } }`;
    const orders = { token: await testTokens.sign({ subject: 'service:orders', scopes: ['service'] }) };
    expect(codes(await gql(home.app.url, applyWrites, { region: 'DE', w: [write('1 Injected Road')] }, orders))).toEqual(['FORBIDDEN']);
    // A replica forwards its own region's writes, not another's.
    expect(codes(await gql(home.app.url, applyWrites, { region: 'DE', w: [write('2 Injected Road')] }, await asReplica('uk')))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(home.app.url, `{ replicationLog(after: 0) { headSeq } }`, {}, orders))).toEqual(['FORBIDDEN']);
    // Nor does a replica of home's own region exist: its name is no one's.
    const homeRegion = { token: await testTokens.sign({ subject: 'service:customers-us', scopes: ['service'] }) };
    expect(codes(await gql(home.app.url, `{ replicationLog(after: 0) { headSeq } }`, {}, homeRegion))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(home.app.url, applyWrites, { region: 'US', w: [write('4 Injected Road')] }, homeRegion))).toEqual(['FORBIDDEN']);
    expect((await customerAt(home, ada.id))!.addresses.map((a) => a.line1)).not.toContain('1 Injected Road');
    expect((await customerAt(home, ada.id))!.version).toBe(ada.version);
    // Its own region's, from its own replica: applied.
    expect((await ok<{ applyWrites: { status: string }[] }>(home.app.url, applyWrites, { region: 'DE', w: [write('3 Quay Street')] }, await asReplica('de'))).applyWrites).toEqual([{ status: 'APPLIED' }]);
  });

  it('applies a write a replica accepted before names and address lines were checked for hidden characters, made one line, instead of setting it aside', async () => {
    // As a replica of the earlier version queued it while home was away, having answered its client.
    const write = {
      writeId: new ObjectId().toHexString(),
      kind: 'ADD_CUSTOMER',
      customerId: new ObjectId().toHexString(),
      at: new Date().toISOString(),
      customer: {
        name: 'Old\tTimer\u200B',
        email: 'old-timer@example.com',
        homeRegion: 'UK',
        createdAt: new Date().toISOString(),
        addresses: [{ id: new ObjectId().toHexString(), line1: '1 Quay\r\nStreet', line2: '\u2028', city: 'Leeds', postalCode: 'LS1', country: 'GB' }],
      },
    };
    const applied = await gql(home.app.url, `mutation($w: [ReplicatedWrite!]!) { applyWrites(region: UK, writes: $w) { status customer { name addresses { line1 line2 } } } }`, { w: [write] }, await asReplica('uk'));
    expect(applied.errors).toBeUndefined();
    expect(applied.data!.applyWrites).toEqual([{ status: 'APPLIED', customer: { name: 'Old Timer', addresses: [{ line1: '1 Quay Street', line2: null }] } }]);
  });
});
