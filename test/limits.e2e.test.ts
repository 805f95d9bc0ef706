import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedProxies } from '../gateway/client-address.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { codes, gql, postFromAnotherProcess, TestDatabases, userToken } from './harness.ts';
import { collect, wsClient } from './subscriber.ts';
import { startSystem, type RunningSystem } from './system.ts';

// The gateway's abuse limits: each refusal is a coded error, and the gateway stays up.

const dbs = new TestDatabases();
let system: RunningSystem;
let strict: { url: string; close(): Promise<void> };
const dir = mkdtempSync(join(tmpdir(), 'limits-'));

beforeAll(async () => {
  system = await startSystem(dbs, { workers: false });
  strict = await system.startGateway({ limits: { maxBodyBytes: 4_000, maxDepth: 8, maxAliases: 3, maxTokens: 300, maxDirectives: 3, maxCost: 200, ratePerMinute: 1_000 } });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const stillServes = async (url: string) => {
  const res = await gql(url, `{ product(sku: "MUG-001") { title } }`);
  expect(res.data?.product?.title).toBe('Manifesto Mug');
};

/** A signed-out product query from `localAddress` (any 127.x address on loopback); its HTTP status. */
function postFrom(url: string, localAddress: string, extraHeaders: Record<string, string> = {}): Promise<number> {
  const { hostname, port, pathname } = new URL(url);
  const body = JSON.stringify({ query: '{ product(sku: "MUG-001") { sku } }' });
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...extraHeaders };
  return new Promise<number>((resolve, reject) => {
    const sent = request({ host: hostname, port, path: pathname, method: 'POST', localAddress, headers }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

describe('abuse limits at the gateway', () => {
  const refusals: [string, string, string][] = [
    ['depth', `{ vendors { edges { node { products { edges { node { vendor { products { edges { node { sku } } } } } } } } } } }`, 'QUERY_TOO_COMPLEX'],
    ['aliases', `{ a: product(sku: "MUG-001") { sku } b: product(sku: "MUG-001") { sku } c: product(sku: "MUG-001") { sku } d: product(sku: "MUG-001") { sku } }`, 'QUERY_TOO_COMPLEX'],
    ['aliases of __typename', `{ product(sku: "MUG-001") { a: __typename b: __typename c: __typename d: __typename } }`, 'QUERY_TOO_COMPLEX'],
    ['tokens', `{ product(sku: "MUG-001") { ${Array.from({ length: 400 }, () => 'sku').join(' ')} } }`, 'QUERY_TOO_COMPLEX'],
    ['directives', `{ product(sku: "MUG-001") { sku @include(if: true) @include(if: true) @skip(if: false) @skip(if: false) } }`, 'QUERY_TOO_COMPLEX'],
    ['cost (list sizes)', `{ vendors(first: 20) { edges { node { products(first: 20) { edges { node { sku title } } } } } } }`, 'QUERY_TOO_COMPLEX'],
  ];
  for (const [limit, query, code] of refusals) {
    it(`refuses too many ${limit} with ${code} (limit: ${limit.split(' ')[0]}) and keeps serving`, async () => {
      const res = await gql(strict.url, query);
      expect(codes(res)).toContain(code);
      if (code === 'QUERY_TOO_COMPLEX') expect(res.errors!.map((e) => e.extensions?.limit)).toContain(limit.split(' ')[0]);
      expect(res.data ?? null).toBeNull();
      // Every limit answers as graphql's own request errors do: 400 to a client that accepts
      // application/graphql-response+json (gql's first choice), 200 to one that takes only application/json.
      expect(res.status).toBe(400);
      const legacy = await fetch(strict.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${await userToken({ role: 'support' })}` }, body: JSON.stringify({ query }) });
      expect(legacy.status).toBe(200);
      expect(((await legacy.json()) as { errors: { extensions: { code: string } }[] }).errors.map((e) => e.extensions.code)).toContain(code);
      await stillServes(strict.url);
    });
  }

  it('refuses a document nested past 64 brackets as QUERY_TOO_COMPLEX (limit: nesting), however deep, and parses one within it', async () => {
    // One token a level: 40,000 levels are within the body limit, and ran the parser out of stack.
    const nested = (depth: number) => `{ products(skus: ${'['.repeat(depth)}"MUG-001"${']'.repeat(depth)}) { edges { node { sku } } } }`;
    for (const depth of [65, 1_500, 4_321, 40_000]) {
      for (const attempt of ['first', 'again, from the parser cache']) {
        const res = await gql(system.gatewayUrl, nested(depth), {}, { token: null });
        expect(res.errors, `${depth} ${attempt}`).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'nesting' }) })]);
        expect(res.status).toBe(400);
      }
    }
    // 60 levels parse: what is wrong with them is said by validation (a list is not a String).
    const within = await gql(system.gatewayUrl, nested(60), {}, { token: null });
    expect(codes(within)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    await stillServes(system.gatewayUrl);
  });

  it('says in words that a document took graphql too much work to validate, not only "Validation aborted."', async () => {
    const query = `{ ${Array.from({ length: 1_000 }, () => '__typename').join(' ')} }`;
    for (const attempt of ['first', 'again, from the validation cache']) {
      const res = await gql(system.gatewayUrl, query, {}, { token: null });
      expect(res.errors, attempt).toEqual([
        expect.objectContaining({
          message: expect.stringContaining('takes more work to validate than allowed'),
          extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'validation' }),
        }),
      ]);
      expect(res.status).toBe(400);
    }
    await stillServes(system.gatewayUrl);
  });

  it('refuses a name longer than 100 characters (an alias, an operation, a fragment, a variable) without quoting it', async () => {
    const long = `n${'x'.repeat(100)}`;
    const documents = [
      `{ ${long}: product(sku: "MUG-001") { sku } }`,
      `query ${long} { product(sku: "MUG-001") { sku } }`,
      `{ product(sku: "MUG-001") { ...${long} } } fragment ${long} on Product { sku }`,
      `query($${long}: String!) { product(sku: $${long}) { sku } }`,
    ];
    for (const query of documents) {
      const res = await gql(system.gatewayUrl, query, { [long]: 'MUG-001' }, { token: null });
      expect(res.errors, query).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'names' }) })]);
      expect(JSON.stringify(res), query).not.toContain(long);
      expect(res.status).toBe(400);
    }
    // graphql-js's own errors about the same document, which would quote it once per use, are left out.
    const unknownFields = await gql(system.gatewayUrl, `{ ${Array.from({ length: 18 }, (_, i) => `${long}${i}`).join(' ')} }`, {}, { token: null });
    expect(unknownFields.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ limit: 'names' }) })]);
    // Nor does a refused name become a metrics label: it is counted as a refusal of an invalid document.
    const metrics = await (await fetch(new URL('/metrics', system.gatewayMetricsUrl))).text();
    expect(metrics).not.toContain(long);
    expect(metrics).toMatch(/graphql_requests_total\{service="gateway",operation="\(invalid\)",type="unknown",outcome="QUERY_TOO_COMPLEX"\} [1-9]/);
    const longest = 'a'.repeat(100);
    const res = await gql(system.gatewayUrl, `query ${longest} { ${longest}: product(sku: "MUG-001") { sku } }`, {}, { token: null });
    expect(res.data).toEqual({ [longest]: { sku: 'MUG-001' } });
  });

  it('counts a list by its first: argument, variables included', async () => {
    const query = `query($n: Int) { vendors(first: $n) { edges { node { products(first: $n) { edges { node { sku } } } } } } }`;
    expect((await gql(strict.url, query, { n: 5 })).errors).toBeUndefined();
    expect(codes(await gql(strict.url, query, { n: 50 }))).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('counts a list that takes no first: as the most its service lets it hold (an order has up to 50 lines)', async () => {
    const lines = (orders: number) => `{ orders(customerId: "64b000000000000000000001", first: ${orders}) { edges { node { lines { quantity unitPrice { amount } } } } } }`;
    // orders, then edges, node and lines once, then 50 lines × 3 fields: 154, within the strict gateway's 200.
    expect((await gql(strict.url, lines(1))).errors).toBeUndefined();
    // Three orders: 1 + 3 × (3 + 150) = 460. Counted at 10 lines an order, as before, it was 100.
    const refused = await gql(strict.url, lines(3));
    expect(codes(refused)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(refused.errors![0]!.extensions?.limit).toBe('cost');
  });

  it('refuses a body larger than the limit before reading it, with 413', async () => {
    const response = await fetch(strict.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ product(sku: "MUG-001") { sku } }`, variables: { padding: 'x'.repeat(5_000) } }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('REQUEST_TOO_LARGE');
    // Megabytes past it, sent on by a client that is told while it sends (fetch, from another
    // process): the answer reaches it every time, not a connection reset before it was read.
    const megabytes = JSON.stringify({ query: `{ product(sku: "MUG-001") { sku } }`, variables: { padding: 'x'.repeat(5_000_000) } });
    expect(await postFromAnotherProcess(strict.url, megabytes, 6)).toEqual([413, 413, 413, 413, 413, 413]);
    await stillServes(strict.url);
  });

  it('limits each caller to its rate, per subject, with RATE_LIMITED and HTTP 429', async () => {
    const limited = await system.startGateway({ limits: { ratePerMinute: 3 } });
    try {
      const busy = await userToken({ role: 'support', sub: 'busy-agent' });
      const other = await userToken({ role: 'support', sub: 'other-agent' });
      const query = `{ product(sku: "MUG-001") { sku } }`;
      // A refusal can only come at the start of a minute's window: try again if the window turned meanwhile.
      for (let attempt = 0; attempt < 2; attempt++) {
        const results = [];
        for (let i = 0; i < 4; i++) results.push(await gql(limited.url, query, {}, { token: busy }));
        if (results.slice(0, 3).some((r) => r.errors)) continue;
        expect(results[3]!.status).toBe(429);
        expect(codes(results[3]!)).toEqual(['RATE_LIMITED']);
        expect((await gql(limited.url, query, {}, { token: other })).errors).toBeUndefined();
        // A subject spelled like the key of signed-out callers at this address is still its own caller.
        const lookalike = await userToken({ role: 'support', sub: 'address:127.0.0.1' });
        for (let i = 0; i < 3; i++) await gql(limited.url, query, {}, { token: lookalike });
        expect((await gql(limited.url, query, {}, { token: null })).errors).toBeUndefined();
        return;
      }
      throw new Error('the rate limit never refused');
    } finally {
      await limited.close();
    }
  });

  it("a signed-out caller cannot spend another address's limit by naming it in x-forwarded-for, even hanging up at once", async () => {
    const limited = await system.startGateway({ limits: { ratePerMinute: 3 } });
    const { hostname, port, pathname } = new URL(limited.url);
    const body = JSON.stringify({ query: '{ product(sku: "MUG-001") { sku } }' });
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    // Ten requests from 127.0.0.1 claiming to be 127.0.0.2, each connection reset as soon as sent.
    const hangUp = () =>
      new Promise<void>((resolve) => {
        const socket = connect(Number(port), hostname, () => {
          const lines = Object.entries({ ...headers, host: `${hostname}:${port}`, 'x-forwarded-for': '127.0.0.2' }).map(([name, value]) => `${name}: ${value}`);
          socket.write(`POST ${pathname} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`, () => {
            socket.resetAndDestroy();
            resolve();
          });
        });
        socket.on('error', () => resolve());
      });
    const from = (localAddress: string) => postFrom(limited.url, localAddress);
    try {
      // A refusal can only come within one minute's window: try again if the window turned meanwhile.
      for (let attempt = 0; attempt < 2; attempt++) {
        for (let i = 0; i < 10; i++) await hangUp();
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await from('127.0.0.2')).toBe(200);
        // They did run, and counted against the address they came from.
        if ((await from('127.0.0.1')) === 429) return;
      }
      throw new Error('the requests that hung up were not counted against their own address');
    } finally {
      await limited.close();
    }
  });

  it('behind a trusted proxy, counts each signed-out caller by the address the proxy forwards for, and only that proxy may say so', async () => {
    const limited = await system.startGateway({ limits: { ratePerMinute: 3, trustedProxies: TrustedProxies.parse('127.0.0.1') } });
    const send = (localAddress: string, forwardedFor: string) => postFrom(limited.url, localAddress, { 'x-forwarded-for': forwardedFor });
    try {
      // Every count below must fall in one minute's window: start in a window with 15 s left at least.
      const left = 60_000 - (Date.now() % 60_000);
      if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
      for (let attempt = 0; attempt < 2; attempt++) {
        const statuses = [];
        // Through the proxy (127.0.0.1): one client, 203.0.113.5, four times; the last time it
        // also writes an address of its own choosing in front, which the proxy does not vouch for.
        for (const forwarded of ['203.0.113.5', '203.0.113.5', '203.0.113.5', '192.0.2.99, 203.0.113.5']) statuses.push(await send('127.0.0.1', forwarded));
        if (statuses.slice(0, 3).some((status) => status !== 200)) continue;
        expect(statuses[3]).toBe(429);
        // Another client behind the same proxy has a limit of its own.
        expect(await send('127.0.0.1', '203.0.113.6')).toBe(200);
        // A connection that is not the proxy is counted as itself, whatever it says it forwards for.
        for (let i = 0; i < 3; i++) expect(await send('127.0.0.2', '203.0.113.7')).toBe(200);
        expect(await send('127.0.0.2', '203.0.113.8')).toBe(429);
        expect(await send('127.0.0.1', '203.0.113.7')).toBe(200);
        // An IPv6 client is counted by its /64: a new address of the same host is the same caller.
        const ipv6 = [];
        for (let i = 1; i <= 4; i++) ipv6.push(await send('127.0.0.1', `2001:db8:7:7::${i}`));
        expect(ipv6).toEqual([200, 200, 200, 429]);
        expect(await send('127.0.0.1', '2001:db8:7:8::1')).toBe(200);
        return;
      }
      throw new Error('the rate limit never refused');
    } finally {
      await limited.close();
    }
  });

  it('stops a request that takes longer than the time limit with REQUEST_TIMEOUT', async () => {
    const hasty = await system.startGateway({ limits: { timeoutMs: 1 } });
    try {
      const res = await gql(hasty.url, `{ vendors(first: 20) { edges { node { name products(first: 5) { edges { node { sku stock { available } } } } } } } }`);
      expect(codes(res)).toEqual(['REQUEST_TIMEOUT']);
      expect(res.status).toBe(504);
    } finally {
      await hasty.close();
    }
  });

  it('does not wait twice for a hung service in one request: the other fields, a mutation\'s included, are answered', async () => {
    // A mutation's fields run one after another: here two of them ask the hung shipping service.
    // Each fetch used to wait its whole timeout, together longer than the request's limit, and the
    // client got REQUEST_TIMEOUT and nothing of what had been carried out.
    const hasty = await system.startGateway({ limits: { timeoutMs: 5_000, subgraphTimeoutMs: 1_000 } });
    const endHang = await system.hang('shipping');
    try {
      const order = { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: 'MUG-001', quantity: 1 }] };
      const res = await gql(
        hasty.url,
        `mutation($a: PlaceOrderInput!, $b: PlaceOrderInput!, $address: AddressInput!) {
          a: placeOrder(input: $a) { id shipments { id } }
          x: addAddress(customerId: "${demo.customers.ada}", input: $address) { id }
          b: placeOrder(input: $b) { id shipments { id } }
        }`,
        { a: order, b: order, address: { line1: '1 Deadline Row', city: 'London', postalCode: 'N1 1AA', country: 'GB' } },
      );
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ a: { id: expect.any(String), shipments: null }, x: { id: demo.customers.ada }, b: { id: expect.any(String), shipments: null } });
      expect(res.errors!.map((error) => [error.extensions?.code, error.extensions?.serviceName])).toEqual([
        ['DEPENDENCY_UNAVAILABLE', 'shipping'],
        ['DEPENDENCY_UNAVAILABLE', 'shipping'],
      ]);
      expect(res.errors![1]!.message).toMatch(/did not answer an earlier fetch of this operation/);

      // A fetch is given what the request has left: a hung service costs its fields, not the answer.
      const tight = await system.startGateway({ limits: { timeoutMs: 2_000 } });
      try {
        const read = await gql(tight.url, `query($id: ID!) { order(id: $id) { id shipments { id } } }`, { id: res.data!.a.id });
        expect(read.status).toBe(200);
        expect(read.data).toEqual({ order: { id: res.data!.a.id, shipments: null } });
        expect(codes(read)).toEqual(['DEPENDENCY_UNAVAILABLE']);
      } finally {
        await tight.close();
      }
    } finally {
      await endHang();
      await system.restart('shipping');
      await hasty.close();
    }
  });

  it('says a change sent to a service that then did not answer may still take effect', async () => {
    const hasty = await system.startGateway({ limits: { subgraphTimeoutMs: 1_000 } });
    const endHang = await system.hang('customers');
    try {
      const res = await gql(hasty.url, `mutation($address: AddressInput!) { addAddress(customerId: "${demo.customers.ada}", input: $address, idempotencyKey: "unanswered-1") { id } }`, {
        address: { line1: '2 Unknown Row', city: 'London', postalCode: 'N1 1AA', country: 'GB' },
      });
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: 'The customers service did not answer; the change may still take effect, and its fields are missing from this answer.',
          extensions: expect.objectContaining({ code: 'DEPENDENCY_UNAVAILABLE', serviceName: 'customers', outcomeUnknown: true }),
        }),
      ]);
    } finally {
      await endHang();
      await system.restart('customers');
      await hasty.close();
    }
    // Refused before it was sent (the service is not there): nothing can have been done, and the answer says so.
    await system.stop('customers');
    try {
      const refused = await gql(system.gatewayUrl, `mutation($address: AddressInput!) { addAddress(customerId: "${demo.customers.ada}", input: $address) { id } }`, {
        address: { line1: '3 Refused Row', city: 'London', postalCode: 'N1 1AA', country: 'GB' },
      });
      expect(refused.errors![0]!.message).toBe('The customers service is unavailable; its fields are missing from this answer.');
      expect(refused.errors![0]!.extensions?.outcomeUnknown).toBeUndefined();
    } finally {
      await system.restart('customers');
    }
  });

  it('runs only trusted documents when given a manifest', async () => {
    const manifest = join(dir, 'trusted.json');
    writeFileSync(manifest, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'mug-title', name: 'MugTitle', type: 'query', body: '{ product(sku: "MUG-001") { title } }' }] }));
    const trusted = await system.startGateway({ limits: { trustedDocumentsPath: manifest } });
    try {
      expect(codes(await gql(trusted.url, `{ product(sku: "MUG-001") { title } }`))).toEqual(['UNTRUSTED_DOCUMENT']);
      const response = await fetch(trusted.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'mug-title' } } }) });
      const body = (await response.json()) as { data?: { product: { title: string } } };
      expect(body, JSON.stringify(body)).toMatchObject({ data: { product: { title: 'Manifesto Mug' } } });
      // The same rule over a WebSocket: a document of the client's own is refused, an id runs.
      const client = wsClient(trusted.url);
      try {
        const own = collect(client, `{ product(sku: "MUG-001") { title } }`);
        await own.until((c) => c.error !== undefined || c.results.length > 0);
        const errors = (own.error as { extensions?: { code?: string } }[] | undefined) ?? own.results[0]?.errors;
        expect(errors?.map((e) => e.extensions?.code)).toEqual(['UNTRUSTED_DOCUMENT']);
        const byId = await new Promise<unknown>((resolve, reject) =>
          client.subscribe({ query: '', extensions: { persistedQuery: { version: 1, sha256Hash: 'mug-title' } } }, { next: resolve, error: reject, complete: () => {} }),
        );
        expect(byId).toMatchObject({ data: { product: { title: 'Manifesto Mug' } } });
      } finally {
        await client.dispose();
      }
    } finally {
      await trusted.close();
    }
  });

  it('does not start with a manifest written for another version of the graph', async () => {
    const manifest = join(dir, 'stale.json');
    writeFileSync(manifest, JSON.stringify({ 'mug-title': '{ product(sku: "MUG-001") { title } }', 'mug-name': '{ product(sku: "MUG-001") { name } }' }));
    await expect(system.startGateway({ limits: { trustedDocumentsPath: manifest } })).rejects.toThrow(`"mug-name": Cannot query field "name" on type "Product".`);
  });

  it('refuses 10,000 aliases under the default limits', async () => {
    const query = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: product(sku: "MUG-001") { sku }`).join(' ')} }`;
    const res = await gql(system.gatewayUrl, query);
    expect(res.status).toBe(413); // the document alone is more than the default body limit
    await stillServes(system.gatewayUrl);
  });
});
