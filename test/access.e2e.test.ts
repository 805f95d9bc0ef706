import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Kind, parse, print, type FieldDefinitionNode } from 'graphql';
import { ObjectId } from 'mongodb';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayAuth } from '../gateway/auth.ts';
import { readAccessRules } from '../kit/auth/rules.ts';
import { InternalTokens } from '../kit/auth/tokens.ts';
import { serviceNames } from '../pipeline/services.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { codes, gql, testSecrets, testTokens, TestDatabases, userToken } from './harness.ts';
import { collect, wsClient } from './subscriber.ts';
import { startSystem, type RunningSystem } from './system.ts';

// Who may read, change and follow what: roles × operations through the gateway, every
// subgraph operation straight on its port, tokens that must not pass, and customer A
// against customer B.

const dbs = new TestDatabases();
let system: RunningSystem;
const ada = demo.customers.ada;
const grace = demo.customers.grace;
type Caller = 'anonymous' | 'ada' | 'grace' | 'support' | 'warehouse';
const tokens = {} as Record<Caller, string | null>;
let graceOrder: string;

beforeAll(async () => {
  system = await startSystem(dbs, { workers: false });
  tokens.anonymous = null;
  tokens.ada = await userToken({ role: 'customer', customerId: ada });
  tokens.grace = await userToken({ role: 'customer', customerId: grace });
  tokens.support = await userToken({ role: 'support' });
  tokens.warehouse = await userToken({ role: 'warehouse' });
  const placed = await gql(system.gatewayUrl, placeOrder, { input: { customerId: grace, paymentMethodId: 'p00000000000000000000003', lines: [{ sku: 'BOOK-001', quantity: 1 }] } }, { token: tokens.grace });
  expect(placed.errors).toBeUndefined();
  graceOrder = placed.data!.placeOrder.id;
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const placeOrder = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`;
const card = { token: 'tok_x', last4: '4242', expMonth: 12, expYear: 2031 };
let counter = 0;
const unique = () => `${Date.now()}-${++counter}`;

/** hidden: another customer's order reads as no order (null to a query, NOT_FOUND to a mutation), so its id tells nothing. */
type Outcome = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'hidden' | 'CONFLICT';
const o = 'ok' as const, U = 'UNAUTHENTICATED' as const, F = 'FORBIDDEN' as const, H = 'hidden' as const;
/** Let through by the rules and the data's owner, refused only for the order's state (Grace's order was not declined). */
const C = 'CONFLICT' as const;
const roles: Caller[] = ['anonymous', 'ada', 'grace', 'support', 'warehouse'];
const operations: { name: string; query: () => string; variables?: () => Record<string, unknown>; expect: Outcome[] }[] = [
  //                                                                       anonymous ada grace support warehouse
  { name: 'catalogue: products, prices, stock, vendors', query: () => `{ products(first: 2) { edges { node { sku price { amount } stock { available } vendor { name } } } } vendors(first: 1) { edges { node { name } } } }`, expect: [o, o, o, o, o] },
  { name: "Ada's customer record", query: () => `{ customer(id: "${ada}") { name email paymentMethods { last4 } } }`, expect: [U, o, F, o, F] },
  { name: "Ada's changes a regional copy has yet to see confirmed", query: () => `{ customer(id: "${ada}") { unconfirmedWrites } }`, expect: [U, o, F, o, F] },
  { name: 'every customer', query: () => `{ customers(first: 5) { edges { node { id } } } }`, expect: [U, F, F, o, F] },
  { name: "Grace's order", query: () => `{ order(id: "${graceOrder}") { id status } }`, expect: [U, H, o, o, o] },
  { name: "Grace's order's picklists", query: () => `{ order(id: "${graceOrder}") { picklists { id reason } } }`, expect: [U, H, o, o, o] },
  { name: "the shipments on Grace's order's picklists (other customers' too)", query: () => `{ order(id: "${graceOrder}") { picklists { shipmentIds } } }`, expect: [U, F, F, o, o] },
  { name: "the money on Grace's order: its total, prices, card, charge and refunds", query: () => `{ order(id: "${graceOrder}") { total { amount } lines { unitPrice { amount } lineTotal { amount } } paymentMethod { last4 } charge { id } refunds { id } } }`, expect: [U, H, o, o, F] },
  { name: "why a refund of Grace's order failed (staff's: the failing step's own text)", query: () => `{ order(id: "${graceOrder}") { refunds { lastError } } }`, expect: [U, F, F, o, F] },
  { name: "what the warehouse ships of Grace's order: its lines and address", query: () => `{ order(id: "${graceOrder}") { lines { quantity product { sku } } shippingAddress { city } shipmentProgress { status } } }`, expect: [U, H, o, o, o] },
  { name: "Grace's order's customer", query: () => `{ order(id: "${graceOrder}") { customer { name } } }`, expect: [U, H, o, o, F] },
  { name: 'place an order for Ada', query: () => placeOrder, variables: () => ({ input: { customerId: ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: 'MUG-001', quantity: 1 }] } }), expect: [U, o, F, F, F] },
  { name: 'authorize a card', query: () => `mutation { authorize(input: { amount: { amount: 100, currency: "GBP" }, card: { token: "t", last4: "4242", expMonth: 12, expYear: 2031 } }) { approved } }`, expect: [U, F, F, o, F] },
  { name: 'request a charge', query: () => `mutation($input: ChargeRequestInput!) { requestCharge(input: $input) { id } }`, variables: () => ({ input: { requestId: `access-${unique()}`, amount: { amount: 100, currency: 'GBP' }, card } }), expect: [U, F, F, o, F] },
  { name: 'receive items', query: () => `mutation($input: ReceiveItemsInput!) { receiveItems(input: $input) { id } }`, variables: () => ({ input: { receiptId: `r-${unique()}`, sku: 'MUG-001', distributionCenter: 'LHR1', bin: 'A-01', quantity: 1 } }), expect: [U, F, F, F, o] },
  { name: 'queue views', query: () => `{ pickingQueue { ready } shippingQueue { ready } receivingQueue { ready } }`, expect: [U, F, F, o, o] },
  { name: 'exceptions', query: () => `{ exceptions { edges { node { id } } } }`, expect: [U, F, F, o, F] },
  { name: "Grace's order's exceptions", query: () => `{ order(id: "${graceOrder}") { exceptions { id status reason } } }`, expect: [U, H, o, o, o] },
  { name: "who acted on Grace's order's exceptions, and their notes (staff's)", query: () => `{ order(id: "${graceOrder}") { exceptions { resolvedBy note } } }`, expect: [U, F, F, o, F] },
  { name: 'add a vendor', query: () => `mutation { addVendor(input: { name: "V ${unique()}", country: "GB", contactEmail: "v@example.com", leadTimeDays: 3 }) { id } }`, expect: [U, F, F, o, F] },
  { name: "when Grace's order must be paid by (null unless declined)", query: () => `{ order(id: "${graceOrder}") { payBy } }`, expect: [U, H, o, o, F] },
  { name: "until when Grace's order waits for stock (null unless short of it)", query: () => `{ order(id: "${graceOrder}") { waitForStockUntil } }`, expect: [U, H, o, o, F] },
  { name: "pay Grace's order again", query: () => `mutation($input: PayOrderInput!) { payOrder(input: $input) { id } }`, variables: () => ({ input: { orderId: graceOrder, paymentMethodId: 'p00000000000000000000003' } }), expect: [U, H, C, C, F] },
  { name: "one bin's stock", query: () => `{ binItem(sku: "MUG-001", distributionCenter: "LHR1", bin: "A-01") { quantity } }`, expect: [U, F, F, o, o] },
  { name: "change Grace's order's address", query: () => `mutation($input: ChangeShippingAddressInput!) { changeShippingAddress(input: $input) { id } }`, variables: () => ({ input: { orderId: graceOrder, address: { name: 'G', line1: '2 Navy Yard', city: 'Arlington', postalCode: '22202', country: 'US' } } }), expect: [U, H, o, o, F] },
];

describe('roles × operations through the gateway', () => {
  for (const operation of operations) {
    roles.forEach((role, i) => {
      const expected = operation.expect[i]!;
      it(`${role}: ${operation.name} → ${expected}`, async () => {
        const res = await gql(system.gatewayUrl, operation.query(), operation.variables?.() ?? {}, { token: tokens[role] });
        if (expected === 'ok') {
          expect(res.errors).toBeUndefined();
          expect(res.status).toBe(200);
        } else if (expected === 'hidden') {
          expect(codes(res)).toEqual(operation.query().startsWith('mutation') ? ['NOT_FOUND'] : []);
          expect(Object.values(res.data ?? {}).every((value) => value === null)).toBe(true);
        } else {
          expect(codes(res)).toContain(expected);
          // Refused by the rules: nothing ran; refused by the owner of the data: that field is null.
          expect(Object.values(res.data ?? {}).every((value) => value === null)).toBe(true);
          if (expected === 'UNAUTHENTICATED') expect(res.status).toBe(401);
        }
      });
    });
  }

  it('declares a rule for every operation of the graph except the public catalogue', () => {
    const supergraph = system.gateway.yoga.getEnveloped().schema;
    const open: string[] = [];
    for (const root of [supergraph.getQueryType(), supergraph.getMutationType(), supergraph.getSubscriptionType()]) {
      for (const fieldName of Object.keys(root?.getFields() ?? {})) {
        if (!hasRule(`${root!.name}.${fieldName}`)) open.push(`${root!.name}.${fieldName}`);
      }
    }
    expect(open.sort()).toEqual(['Query.product', 'Query.products', 'Query.vendor', 'Query.vendors']);
  });
});

/** From the subgraphs' own schema files: whether a root field declares who may use it. */
function hasRule(coordinate: string): boolean {
  return serviceNames.some((name) => readAccessRules(readFileSync(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url), 'utf8')).fields.has(coordinate));
}

describe('every subgraph, reached straight on its port', () => {
  const rootFields = (name: string) => {
    const document = parse(readFileSync(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url), 'utf8'));
    return document.definitions.flatMap((d) =>
      'name' in d && ['Query', 'Mutation'].includes(d.name?.value ?? '') && 'fields' in d ? (d.fields ?? []).map((f) => `${d.name!.value === 'Query' ? 'query' : 'mutation'} { ${f.name.value} }`) : [],
    );
  };

  for (const name of serviceNames) {
    it(`${name}: answers 401 to every operation without credentials, and with credentials signed by anyone else`, async () => {
      const forged = await new InternalTokens('a-secret-that-is-not-the-systems-secret-at-all').sign({ subject: 'service:evil', scopes: ['service'] });
      for (const query of [...rootFields(name), '{ _service { sdl } }', '{ _entities(representations: [{ __typename: "Order", id: "1" }]) { __typename } }']) {
        for (const token of [null, forged]) {
          const res = await gql(system.urls[name], query, {}, { token });
          expect(res.status, `${name}: ${query}`).toBe(401);
          expect(codes(res)).toEqual(['UNAUTHENTICATED']);
        }
      }
    });
  }

  // Every root field a scope rule keeps from a client's role, called straight on its subgraph's
  // port with that client's identity as the gateway signs it: refused before anything runs. The
  // operation is valid but its variables are left out, so a field the rule failed to stop would
  // answer otherwise (BAD_USER_INPUT for the missing variables, or its data), not FORBIDDEN.
  const clientIdentities = () => [
    { subject: 'customer:ada', scopes: ['customer'], customerId: ada },
    { subject: 'user:support', scopes: ['support'] },
    { subject: 'user:warehouse', scopes: ['warehouse'] },
    { subject: `tracker:${graceOrder}`, scopes: ['tracker'], orderId: graceOrder },
  ];
  for (const name of serviceNames) {
    it(`${name}: refuses each root field a client's role is not named for, to that client's identity signed as the gateway signs it`, async () => {
      const ruled = scopedRootFields(name);
      let refusals = 0;
      for (const identity of clientIdentities()) {
        const token = await testTokens.sign(identity);
        for (const field of ruled.filter((f) => !f.scopes.some((all) => all.every((scope) => identity.scopes.includes(scope))))) {
          const res = await gql(system.urls[name], field.operation, {}, { token });
          expect(codes(res), `${name}: ${identity.scopes[0]} calling ${field.coordinate}`).toEqual(['FORBIDDEN']);
          refusals++;
        }
      }
      // Every subgraph has internal operations only services may call.
      expect(refusals).toBeGreaterThan(0);
    });
  }

  it('refuses internal mutations to a client identity the gateway signed, and changes nothing', async () => {
    const asAda = await testTokens.sign({ subject: 'customer:ada', scopes: ['customer'], customerId: ada });
    const cancel = await gql(system.urls.orders, `mutation { stopOrder(orderId: "${graceOrder}", reason: "mine now") }`, {}, { token: asAda });
    expect(codes(cancel)).toEqual(['FORBIDDEN']);
    const withdraw = `mutation { withdrawCharge(requestId: "${graceOrder}:charge:1", reason: "mine now") }`;
    expect(codes(await gql(system.urls.payments, withdraw, {}, { token: asAda }))).toEqual(['FORBIDDEN']);
    // Not part of the graph clients see at all.
    expect(codes(await gql(system.gatewayUrl, withdraw, {}, { token: tokens.support }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const order = await gql(system.gatewayUrl, `{ order(id: "${graceOrder}") { status } }`, {}, { token: tokens.support });
    expect(order.data!.order.status).not.toBe('CANCELLED');
  });
});

describe('tokens that must not pass', () => {
  const query = `{ customer(id: "${ada}") { name } }`;
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** A correctly signed support token whose subject is whatever `claims` says (or missing), expiring in 10 minutes unless `expires` is false. */
  const signedSupport = (claims: { sub?: unknown }, expires = true) => {
    const jwt = new SignJWT({ role: 'support', ...claims } as JWTPayload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(testSecrets.issuer).setAudience(testSecrets.audience);
    return (expires ? jwt.setExpirationTime('10m') : jwt).sign(new TextEncoder().encode(testSecrets.users));
  };
  const cases: [string, () => Promise<string>][] = [
    ['expired', () => userToken({ role: 'support', ttl: -60 })],
    ['not yet valid (nbf)', () => userToken({ role: 'support', notBefore: 600 })],
    ['signed with another secret (forged)', () => userToken({ role: 'support', secret: 'x'.repeat(64) })],
    ['for another audience', () => userToken({ role: 'support', audience: 'some-other-api' })],
    ['from another issuer', () => userToken({ role: 'support', issuer: 'https://evil.example.com' })],
    ['alg: none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'support', sub: 'x', iss: testSecrets.issuer, aud: testSecrets.audience, exp: Math.floor(Date.now() / 1000) + 600 })}.`],
    ['an internal token (only subgraphs take those)', () => testTokens.sign({ subject: 'service:orders', scopes: ['service'] })],
    ['a customer token without its customerId', () => userToken({ role: 'customer' })],
    ["a customer token whose customerId is not a customer's id", () => userToken({ role: 'customer', customerId: 'ada' })],
    ["a customer token whose customerId is an id in upper case (the services' ids are lower case)", () => userToken({ role: 'customer', customerId: ada.toUpperCase() })],
    ["a customer's token naming one of our services as its subject", () => userToken({ role: 'customer', customerId: ada, sub: 'service:orders' })],
    ["a service-role token naming one of our services as its subject (only the services' own internal tokens do)", () => userToken({ role: 'service', sub: 'service:orders' })],
    // Support's and the warehouse's powers together, which no person has: the services' own role.
    ["naming the services' role (only their internal tokens carry it)", () => userToken({ role: 'service', sub: 'integration-1' })],
    ["naming the services' role beside support's", () => userToken({ roles: ['support', 'service'], sub: 'agent-9' })],
    // A customer's "own" would reach everyone's: another customer's cards, orders placed on them.
    ["naming the customer's role beside the warehouse's", () => userToken({ roles: ['customer', 'warehouse'], customerId: ada, sub: 'staff-who-shops' })],
    ["naming the customer's role beside support's", () => userToken({ role: 'support', roles: ['customer'], customerId: ada, sub: 'staff-who-shops' })],
    ['whose subject is not a string', () => signedSupport({ sub: 42 })],
    ['without a subject', () => signedSupport({})],
    ['whose subject is blank', () => signedSupport({ sub: ' ' })],
    ['whose subject is the name signed-out callers go by', () => signedSupport({ sub: 'anonymous' })],
    ["whose subject is one of our services' with a space before it", () => signedSupport({ sub: ' service:orders' })],
    ['whose subject holds a line break', () => signedSupport({ sub: 'agent-9\nforged log line' })],
    ["whose subject is the one the gateway's subscription streams go by", () => signedSupport({ sub: 'subscription' })],
    ["whose subject is a tracking link's", () => signedSupport({ sub: 'tracking:64b000000000000000000001' })],
    ['whose subject is longer than 256 characters', () => signedSupport({ sub: 'a'.repeat(257) })],
    ["whose subject is one of those names in another case", () => signedSupport({ sub: 'Service:orders' })],
    ['whose subject is one of those names with a full-width colon or letters', () => signedSupport({ sub: 'service\uFF1Aorders' })],
    ["whose subject is a tracking link's in full-width letters", () => signedSupport({ sub: '\uFF54racking:64b000000000000000000001' })],
    ['whose subject is the gateway\'s own name with a zero-width space after it', () => signedSupport({ sub: 'subscription\u200b' })],
    ['whose subject holds a line separator', () => signedSupport({ sub: 'dev\u2028x' })],
    ['not a JWT at all', async () => 'not-a-token'],
    ['without an expiry (exp), which would be good for ever', () => signedSupport({ sub: 'agent-9' }, false)],
    ['expiring more than a year from now', () => userToken({ role: 'support', ttl: 400 * 24 * 3600 })],
  ];
  for (const [what, make] of cases) {
    it(`refuses a token ${what} with UNAUTHENTICATED and HTTP 401`, async () => {
      const res = await gql(system.gatewayUrl, query, {}, { token: await make() });
      expect(res.status).toBe(401);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.data ?? null).toBeNull();
    });
  }

  it('serves a token that expired within the clock tolerance (5 s) in full, not with a subgraph\'s raw 401', async () => {
    const res = await gql(system.gatewayUrl, query, {}, { token: await userToken({ role: 'support', ttl: -2 }) });
    expect(res.errors).toBeUndefined();
    expect(res.data!.customer).toMatchObject({ name: expect.any(String) });
  });

  it('says what is wrong with credentials that are not a bearer token, or not a JWT, in words a client can act on', async () => {
    const withHeader = async (authorization: string) => {
      const response = await fetch(system.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query: '{ products(first: 1) { edges { node { sku } } } }' }) });
      const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
      return { status: response.status, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message };
    };
    expect(await withHeader('Basic YWRhOnNlY3JldA==')).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'Send credentials as `Authorization: Bearer <token>`, or none to be signed out.' });
    for (const token of ['not-a-token', 'a.b.c', `${Buffer.from('[1]').toString('base64url')}.e30.x`]) {
      expect(await withHeader(`Bearer ${token}`), token).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'The bearer token is not valid: it is not a JWT (three base64url parts, the first a JSON header).' });
    }
    const noExpiry = await withHeader(`Bearer ${await signedSupport({ sub: 'agent-9' }, false)}`);
    expect(noExpiry).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: 'The bearer token is not valid: missing required "exp" claim.' });
  });

  it('accepts RS256/ES256 tokens from an identity provider by its JWKS URL, and refuses HS256 there', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwks = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/.well-known/jwks.json`;
    const idp = await system.startGateway({ auth: new GatewayAuth({ jwksUrl, issuer: 'https://idp.example.com/', audience: 'fulfilment' }, testTokens) });
    try {
      const signed = await new SignJWT({ role: 'support' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject('agent-7')
        .setIssuer('https://idp.example.com/')
        .setAudience('fulfilment')
        .setExpirationTime('5m')
        .sign(privateKey);
      const accepted = await gql(idp.url, query, {}, { token: signed });
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data!.customer.name).toBe('Ada Lovelace');
      const hs = await userToken({ role: 'support', issuer: 'https://idp.example.com/', audience: 'fulfilment' });
      expect((await gql(idp.url, query, {}, { token: hs })).status).toBe(401);
    } finally {
      await idp.close();
      await new Promise((resolve) => jwks.close(resolve));
    }
  });
});

describe('customer A and customer B', () => {
  it("Ada cannot read Grace's record, orders or order", async () => {
    for (const query of [`{ customer(id: "${grace}") { name } }`, `{ orders(customerId: "${grace}") { edges { node { id } } } }`]) {
      expect(codes(await gql(system.gatewayUrl, query, {}, { token: tokens.ada }))).toEqual(['FORBIDDEN']);
    }
    // Grace's order reads to Ada as an id that is no order, so she cannot learn which ids are orders.
    const noOrder = new ObjectId().toHexString();
    for (const id of [graceOrder, noOrder]) {
      const answer = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { id status } }`, { id }, { token: tokens.ada });
      expect(answer, id).toMatchObject({ data: { order: null } });
      expect(answer.errors, id).toBeUndefined();
    }
    // Grace reads her order by its id written in either case; Ada gets null for it in both.
    for (const [token, expected] of [[tokens.grace, graceOrder], [tokens.ada, null]] as const) {
      const answer = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { id } }`, { id: graceOrder.toUpperCase() }, { token });
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.order?.id ?? null).toBe(expected);
    }
    // Her own list never includes Grace's orders.
    const own = await gql(system.gatewayUrl, `{ orders(first: 50) { edges { node { id } } } }`, {}, { token: tokens.ada });
    expect(own.errors).toBeUndefined();
    expect(own.data!.orders.edges.map((edge: { node: { id: string } }) => edge.node.id)).not.toContain(graceOrder);
  });

  it("Ada cannot change Grace's record or order, nor order with Grace's card, and nothing is written", async () => {
    const addAddress = await gql(system.gatewayUrl, `mutation { addAddress(customerId: "${grace}", input: { line1: "1 Evil St", city: "X", postalCode: "1", country: "GB" }) { id } }`, {}, { token: tokens.ada });
    expect(codes(addAddress)).toEqual(['FORBIDDEN']);
    const change = await gql(system.gatewayUrl, `mutation($input: ChangeShippingAddressInput!) { changeShippingAddress(input: $input) { id } }`, { input: { orderId: graceOrder, address: { name: 'A', line1: '1 Evil St', city: 'X', postalCode: '1', country: 'GB' } } }, { token: tokens.ada });
    expect(codes(change)).toEqual(['NOT_FOUND']);
    // Cancelling: refused to another customer (by orders, the owner, as for no order) and to the warehouse (by the rules).
    const cancelGraces = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { id status } }`;
    const cancelInput = { input: { orderId: graceOrder, reason: 'not mine', idempotencyKey: `evil-${unique()}` } };
    const asAda = await gql(system.gatewayUrl, cancelGraces, cancelInput, { token: tokens.ada });
    const noOrder = await gql(system.gatewayUrl, cancelGraces, { input: { ...cancelInput.input, orderId: new ObjectId().toHexString() } }, { token: tokens.ada });
    expect(codes(asAda)).toEqual(['NOT_FOUND']);
    expect(asAda.errors![0]!.message.replace(graceOrder, '<id>')).toBe(noOrder.errors![0]!.message.replace(/[0-9a-f]{24}/, '<id>'));
    const returnGraces = `mutation($input: RequestReturnInput!) { requestReturn(input: $input) { id } }`;
    const returnInput = { input: { orderId: graceOrder, sku: 'MUG-001', quantity: 1, reason: 'not mine', idempotencyKey: `evil-${unique()}` } };
    expect(codes(await gql(system.gatewayUrl, returnGraces, returnInput, { token: tokens.ada }))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(system.gatewayUrl, cancelGraces, cancelInput, { token: tokens.warehouse }))).toEqual(['FORBIDDEN']);
    const asGrace = await gql(system.gatewayUrl, placeOrder, { input: { customerId: grace, paymentMethodId: 'p00000000000000000000003', lines: [{ sku: 'MUG-001', quantity: 1 }] } }, { token: tokens.ada });
    expect(codes(asGrace)).toEqual(['FORBIDDEN']);
    const withGracesCard = await gql(system.gatewayUrl, placeOrder, { input: { customerId: ada, paymentMethodId: 'p00000000000000000000003', lines: [{ sku: 'MUG-001', quantity: 1 }] } }, { token: tokens.ada });
    expect(codes(withGracesCard)).toEqual(['NOT_FOUND']);
    const record = await gql(system.gatewayUrl, `{ customer(id: "${grace}") { addresses { line1 } } order(id: "${graceOrder}") { status cancellation { id } addressChanges { address { line1 } } } }`, {}, { token: tokens.support });
    expect(record.data!.customer.addresses.map((a: { line1: string }) => a.line1)).not.toContain('1 Evil St');
    expect(record.data!.order.addressChanges.map((c: { address: { line1: string } }) => c.address.line1)).not.toContain('1 Evil St');
    expect(record.data!.order.cancellation).toBeNull();
    expect(record.data!.order.status).not.toBe('CANCELLED');
  });

  it("Ada cannot follow Grace's order; Grace can", async () => {
    const follow = `subscription($orderId: ID!) { orderTransitions(orderId: $orderId, after: "0") { cursor } }`;
    const asAda = wsClient(system.gatewayUrl, { authorization: `Bearer ${tokens.ada}` });
    const asGrace = wsClient(system.gatewayUrl, { authorization: `Bearer ${tokens.grace}` });
    try {
      const refused = collect(asAda, follow, { orderId: graceOrder });
      await refused.until((c) => c.error !== undefined || c.results.length > 0);
      const errors = (refused.error as { extensions?: { code?: string } }[] | undefined) ?? refused.results[0]?.errors;
      expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.events).toEqual([]);
      // The same root field written inside a fragment, inline or named, is the same subscription.
      for (const wrapped of [
        `subscription($orderId: ID!) { ... on Subscription { orderTransitions(orderId: $orderId, after: "0") { cursor } } }`,
        `subscription($orderId: ID!) { ... { orderTransitions(orderId: $orderId, after: "0") { cursor } } }`,
        `subscription($orderId: ID!) { ...F } fragment F on Subscription { orderTransitions(orderId: $orderId, after: "0") { cursor } }`,
      ]) {
        const sneaky = collect(asAda, wrapped, { orderId: graceOrder });
        await sneaky.until((c) => c.error !== undefined || c.results.length > 0);
        const sneakyErrors = (sneaky.error as { extensions?: { code?: string } }[] | undefined) ?? sneaky.results[0]?.errors;
        expect(sneakyErrors?.[0]?.extensions?.code, wrapped).toBe('FORBIDDEN');
        expect(sneaky.events, wrapped).toEqual([]);
      }
      // Not an order id at all: the client's mistake (BAD_USER_INPUT), as staff are told too.
      const malformed = collect(asAda, follow, { orderId: 'zzz' });
      await malformed.until((c) => c.error !== undefined || c.results.length > 0);
      const malformedErrors = (malformed.error as { extensions?: { code?: string } }[] | undefined) ?? malformed.results[0]?.errors;
      expect(malformedErrors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      // An id that shows nothing, named as the subscription names it (orders would say `id`).
      const blank = collect(asAda, follow, { orderId: '\u200B' });
      await blank.until((c) => c.error !== undefined || c.results.length > 0);
      const blankErrors = (blank.error as { message?: string; extensions?: { code?: string } }[] | undefined) ?? blank.results[0]?.errors;
      expect(blankErrors?.map((error) => [error.message, error.extensions?.code])).toEqual([['orderId must not be empty', 'BAD_USER_INPUT']]);
      // Grace's subscription is accepted and stays open (no transitions come: no workers run here),
      // also with the id written in upper case.
      const allowed = collect(asGrace, follow, { orderId: graceOrder });
      const upperCase = collect(asGrace, follow, { orderId: graceOrder.toUpperCase() });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(allowed.error).toBeUndefined();
      expect(allowed.results.flatMap((r) => r.errors ?? [])).toEqual([]);
      expect(allowed.completed).toBe(false);
      expect(upperCase.error).toBeUndefined();
      expect(upperCase.results.flatMap((r) => r.errors ?? [])).toEqual([]);
      expect(upperCase.completed).toBe(false);
      allowed.stop();
      upperCase.stop();
    } finally {
      await asAda.dispose();
      await asGrace.dispose();
    }
  });

  it('a customer cannot follow the whole pipeline', async () => {
    const client = wsClient(system.gatewayUrl, { authorization: `Bearer ${tokens.ada}` });
    try {
      const refused = collect(client, `subscription { pipelineTransitions { cursor } }`);
      await refused.until((c) => c.error !== undefined || c.results.length > 0);
      const errors = (refused.error as { extensions?: { code?: string } }[] | undefined) ?? refused.results[0]?.errors;
      expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await client.dispose();
    }
  });

  it('closes a WebSocket with 4403 when its token expires', async () => {
    const shortLived = await userToken({ role: 'warehouse', ttl: 2 });
    const socket = new WebSocket(system.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    const acked = new Promise<void>((resolve) => socket.on('message', (data) => JSON.parse(String(data)).type === 'connection_ack' && resolve()));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${shortLived}` } }));
    await acked;
    const started = Date.now();
    expect(await closed).toBe(4403);
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('ends a server-sent-events subscription with UNAUTHENTICATED when its token expires', async () => {
    const shortLived = await userToken({ role: 'warehouse', ttl: 2 });
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${shortLived}` },
      body: JSON.stringify({ query: `subscription { pipelineTransitions { cursor } }` }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    // The stream ends by itself: read it to its end.
    const text = await response.text();
    const results = text.split('\n').filter((line) => line.startsWith('data:') && line.length > 5).map((line) => JSON.parse(line.slice(5)) as { errors?: { extensions?: { code?: string } }[] });
    expect(results.at(-1)?.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

/**
 * A subgraph's Query and Mutation fields that carry @requiresScopes, each with the scopes it
 * allows (alternatives, each needed whole, as kit/auth/rules.ts reads them) and a valid operation on it: every argument as a
 * variable of its declared type, and `__typename` selected from an object.
 */
function scopedRootFields(name: string): { coordinate: string; scopes: string[][]; operation: string }[] {
  const document = parse(readFileSync(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url), 'utf8'));
  const leafTypes = new Set(['String', 'ID', 'Int', 'Float', 'Boolean']);
  for (const d of document.definitions) {
    if ((d.kind === Kind.SCALAR_TYPE_DEFINITION || d.kind === Kind.ENUM_TYPE_DEFINITION) && d.name) leafTypes.add(d.name.value);
  }
  const rules = readAccessRules(document);
  const namedType = (field: FieldDefinitionNode) => {
    let type = field.type;
    while (type.kind !== Kind.NAMED_TYPE) type = type.type;
    return type.name.value;
  };
  return document.definitions.flatMap((d) => {
    if (!('name' in d) || !d.name || !['Query', 'Mutation'].includes(d.name.value) || !('fields' in d)) return [];
    const root = d.name.value;
    return ((d.fields ?? []) as readonly FieldDefinitionNode[]).flatMap((field) => {
      const scopes = rules.fields.get(`${root}.${field.name.value}`)?.scopes ?? [];
      if (scopes.length === 0) return [];
      const args = field.arguments ?? [];
      const declared = args.length > 0 ? `(${args.map((a) => `$${a.name.value}: ${print(a.type)}`).join(', ')})` : '';
      const passed = args.length > 0 ? `(${args.map((a) => `${a.name.value}: $${a.name.value}`).join(', ')})` : '';
      const selection = leafTypes.has(namedType(field)) ? '' : ' { __typename }';
      return [{ coordinate: `${root}.${field.name.value}`, scopes, operation: `${root === 'Query' ? 'query' : 'mutation'}${declared} { ${field.name.value}${passed}${selection} }` }];
    });
  });
}
