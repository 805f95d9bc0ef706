import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVendorsService } from '../subgraphs/vendors/server.ts';
import WebSocket from 'ws';
import { codes, defaultAuthorization, eventually, gql, operator, postFromAnotherProcess, serve, silentLogger, testTokens, TestDatabases, type RunningApp } from './harness.ts';
import { collect, wsClient } from './subscriber.ts';
import { startSystem, type RunningSystem } from './system.ts';
import { createLogger } from '../kit/logger.ts';
import { SUBGRAPH_MAX_BODY_BYTES } from '../kit/request-body.ts';

// What a client that sends a malformed request is told, by the gateway and by a subgraph,
// in development and in production (NODE_ENV=production: isDev false).

const dbs = new TestDatabases();
let system: RunningSystem;
let productionGateway: { url: string; close(): Promise<void> };
let productionSubgraph: RunningApp;

beforeAll(async () => {
  system = await startSystem(dbs, { workers: [] });
  productionGateway = await system.startGateway({ isDev: false });
  productionSubgraph = await serve((await buildVendorsService({ db: await dbs.create('vendors_prod'), logger: silentLogger, tokens: testTokens, isDev: false })).handler);
});
afterAll(async () => {
  await productionSubgraph?.close();
  await system?.close();
  await dbs.cleanup();
});

async function post(url: string, body: string) {
  const { query, variables } = parsedOrNothing(body);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: await defaultAuthorization(url, query, variables) },
    body,
  });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/** A body's query and variables, for the credentials its operation needs; nothing from a body that is not JSON. */
function parsedOrNothing(body: string): { query?: string; variables?: unknown } {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' ? (parsed as { query?: string; variables?: unknown }) : {};
  } catch {
    return {};
  }
}

const endpoints = () => ({
  gateway: system.gatewayUrl,
  'production gateway': productionGateway.url,
  'inventory subgraph': system.urls.inventory,
  'production subgraph': productionSubgraph.url,
});

describe('a request that names no query', () => {
  it('is a malformed request (400, BAD_REQUEST) whatever the client accepts, at the gateway and at a subgraph, also with a persisted query id where no trusted documents run', async () => {
    for (const [name, url] of Object.entries(endpoints())) {
      for (const accept of ['application/json', 'application/graphql-response+json', '*/*']) {
        for (const body of ['{}', '{"variables": {}}', '{"query": null, "operationName": "A"}', '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}', '{"extensions": {"persistedQuery": null}}']) {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept, authorization: await defaultAuthorization(url) }, body });
          const label = `${name}, ${accept}, ${body}`;
          expect(response.status, label).toBe(400);
          const answer = (await response.json()) as { data?: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
          expect(answer.data, label).toBeUndefined();
          expect(answer.errors, label).toEqual([{ message: expect.stringMatching(/^Must provide query string/), extensions: { code: 'BAD_REQUEST' } }]);
        }
      }
    }
  });
});

describe('a subscription asked for as JSON', () => {
  it('is refused with 406 and an error that says how to subscribe, over POST and GET, at the gateway and at a subgraph', async () => {
    const urls = { gateway: system.gatewayUrl, 'tracking subgraph': system.urls.tracking };
    const query = 'subscription { pipelineTransitions { cursor } }';
    for (const [name, url] of Object.entries(urls)) {
      const authorization = await defaultAuthorization(url);
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const posted = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept, authorization }, body: JSON.stringify({ query }) });
        const got = await fetch(`${url}?query=${encodeURIComponent(query)}`, { headers: { accept, authorization } });
        for (const [how, response] of [['POST', posted], ['GET', got]] as const) {
          const label = `${name}, ${how}, ${accept}`;
          expect(response.status, label).toBe(406);
          expect(response.headers.get('accept'), label).toContain('text/event-stream');
          const answer = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
          expect(answer.errors, label).toEqual([{ message: expect.stringMatching(/server-sent events \(Accept: text\/event-stream\), or subscribe over a WebSocket/), extensions: { code: 'BAD_REQUEST' } }]);
        }
      }
    }
  });

  it('is GRAPHQL_VALIDATION_FAILED at a subgraph that has no subscriptions, however it is asked', async () => {
    for (const accept of ['application/json', 'text/event-stream']) {
      const response = await fetch(system.urls.inventory, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, authorization: await defaultAuthorization(system.urls.inventory) },
        body: JSON.stringify({ query: 'subscription { stock }' }),
      });
      const text = await response.text();
      expect(text, accept).toContain('"code":"GRAPHQL_VALIDATION_FAILED"');
      expect(text, accept).toContain('This service answers no subscriptions');
    }
  });
});

describe('a variable of the wrong type', () => {
  it('is a request error (400, BAD_USER_INPUT) at the gateway and at subgraphs, not an unexpected error', async () => {
    const receiveItems = `mutation($quantity: Int!) { receiveItems(input: { receiptId: "typed-1", sku: "MUG-001", distributionCenter: "LHR1", bin: "T-1", quantity: $quantity }) { id } }`;
    const adjustStock = `mutation($delta: Int!) { adjustStock(input: { sku: "MUG-001", distributionCenter: "LHR1", bin: "T-1", delta: $delta }) { quantity } }`;
    const vendor = `query($first: Int) { vendors(first: $first) { edges { node { id } } } }`;
    const cases = [
      [system.gatewayUrl, receiveItems, { quantity: 1.5 }],
      [productionGateway.url, receiveItems, { quantity: '7' }],
      [system.urls.inventory, adjustStock, { delta: 1.5 }],
      [productionSubgraph.url, vendor, { first: 2.5 }],
    ] as const;
    for (const [url, query, variables] of cases) {
      const response = await post(url, JSON.stringify({ query, variables }));
      expect(response.status, `${url} ${response.text}`).toBe(400);
      expect(response.contentType).toMatch(/^application\/graphql-response\+json/);
      const body = JSON.parse(response.text);
      expect(body.data).toBeUndefined();
      expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
      expect(body.errors[0].message).toMatch(/^Variable "\$\w+" got an invalid value; Int cannot represent non-integer value\.$/);
    }
    // Nothing was received.
    const receipts = await post(system.urls.receiving, JSON.stringify({ query: '{ receipt(id: "typed-1") { id } }' }));
    expect(JSON.parse(receipts.text).data.receipt).toBeNull();
  });
});

describe('an id that shows nothing', () => {
  it('is BAD_USER_INPUT on every lookup and action by id, not an element that does not exist', async () => {
    const byId = [
      'query($id: ID!) { chargeRequest(id: $id) { id } }',
      'mutation($id: ID!) { retryChargeRequest(id: $id) { id } }',
      'query($id: ID!) { pickingShipment(id: $id) { shipmentId } }',
      'query($id: ID!) { rebinShipment(id: $id) { shipmentId } }',
      'query($id: ID!) { shippingShipment(id: $id) { shipmentId } }',
      'query($id: ID!) { shipment(id: $id) { id } }',
      'query($id: ID!) { receipt(id: $id) { id } }',
    ];
    for (const query of byId) {
      for (const id of ['', '\u200B']) {
        const res = await gql(system.gatewayUrl, query, { id });
        expect(codes(res), `${query} ${JSON.stringify(id)}`).toEqual(['BAD_USER_INPUT']);
        expect(res.errors![0]!.message).toBe('id must not be empty');
      }
    }
  });
});

/** A type as introspection gives it, wrappers first. */
interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
const typeRef = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
const named = (type: TypeRef): TypeRef => (type.ofType ? named(type.ofType) : type);
const written = (type: TypeRef): string => (type.kind === 'NON_NULL' ? `${written(type.ofType!)}!` : type.kind === 'LIST' ? `[${written(type.ofType!)}]` : type.name!);

/**
 * Every root field of `url`'s schema whose required arguments are all IDs, as one operation per
 * ID argument sending it blank (the other IDs well-formed): what a client could send to look up or
 * act on something by id.
 */
async function lookupsById(url: string): Promise<{ field: string; argument: string; query: string; variables: Record<string, string> }[]> {
  const data = (await gql(url, `{ __schema { queryType { name } mutationType { name } types { name fields { name type { ${typeRef} } args { name defaultValue type { ${typeRef} } } } } } }`)).data!;
  const roots = [['query', data.__schema.queryType?.name], ['mutation', data.__schema.mutationType?.name]] as const;
  const lookups = [];
  for (const [operation, rootName] of roots) {
    const root = data.__schema.types.find((type: { name: string }) => type.name === rootName);
    for (const field of root?.fields ?? []) {
      const required = field.args.filter((arg: { type: TypeRef; defaultValue: unknown }) => arg.type.kind === 'NON_NULL' && arg.defaultValue == null);
      if (required.some((arg: { type: TypeRef }) => named(arg.type).name !== 'ID' || arg.type.ofType!.kind === 'LIST')) continue;
      const selection = ['OBJECT', 'INTERFACE', 'UNION'].includes(named(field.type).kind) ? ' { __typename }' : '';
      for (const argument of field.args.filter((arg: { type: TypeRef }) => written(arg.type) === 'ID!' || written(arg.type) === 'ID')) {
        const sent = [...new Set([...required, argument])];
        const variables = Object.fromEntries(sent.map((arg: { name: string }) => [arg.name, arg.name === argument.name ? '' : '64b000000000000000000001']));
        const query = `${operation}(${sent.map((arg: { name: string; type: TypeRef }) => `$${arg.name}: ${written(arg.type)}`).join(', ')}) { ${field.name}(${sent.map((arg: { name: string }) => `${arg.name}: $${arg.name}`).join(', ')})${selection} }`;
        lookups.push({ field: field.name, argument: argument.name, query, variables });
      }
    }
  }
  return lookups;
}

describe('an id that shows nothing, anywhere in the graph', () => {
  it('is BAD_USER_INPUT for every root field taking an ID, at the gateway and at every subgraph (internal fields too), and nothing runs', async () => {
    const checked: string[] = [];
    for (const url of [system.gatewayUrl, ...Object.values(system.urls)]) {
      for (const { field, argument, query, variables } of await lookupsById(url)) {
        for (const blank of ['', ' ', '\u200B']) {
          const res = await gql(url, query, { ...variables, [argument]: blank });
          expect(codes(res), `${url} ${query} ${JSON.stringify(blank)}`).toEqual(['BAD_USER_INPUT']);
          expect(res.errors![0]!.message).toBe(`${argument} must not be empty`);
          // Nothing ran: no field has a value (the gateway answers a nullable one with null).
          expect(Object.values(res.data ?? {}).filter((value) => value !== null)).toEqual([]);
        }
        checked.push(`${field}(${argument})`);
      }
    }
    // The gateway's own lookups and the subgraphs' internal ones: dozens of fields, not a handful.
    expect(checked).toEqual(expect.arrayContaining(['order(id)', 'customer(id)', 'pipelineException(id)', 'releaseReservation(reservationId)']));
    expect(checked.length).toBeGreaterThan(30);
  });

  it('inside an input, literal or variable, or as a variable\'s default, names the field', async () => {
    const literal = await gql(system.gatewayUrl, `mutation { placeOrder(input: { customerId: "64b000000000000000000001", paymentMethodId: "\u200B", lines: [{ sku: "BOOK-001", quantity: 1 }] }) { id } }`);
    expect(codes(literal)).toEqual(['BAD_USER_INPUT']);
    expect(literal.errors![0]!.message).toBe('paymentMethodId must not be empty');
    // A variable left out takes its default: a blank default is refused as if it were sent (it placed the order to the default address).
    const defaulted = await gql(
      system.gatewayUrl,
      `mutation($a: ID = "") { placeOrder(input: { customerId: "64b000000000000000000001", paymentMethodId: "p00000000000000000000001", shippingAddressId: $a, lines: [{ sku: "BOOK-001", quantity: 1 }] }) { id } }`,
    );
    expect(defaulted.errors?.map((error) => [error.message, error.extensions?.code])).toEqual([['shippingAddressId must not be empty', 'BAD_USER_INPUT']]);
    const lookup = await gql(system.gatewayUrl, 'query($id: ID! = "\u200B") { pipelineException(id: $id) { id } }');
    expect(codes(lookup)).toEqual(['BAD_USER_INPUT']);
  });

  it('is not refused in a field the client skipped, at the gateway, on the way to a subgraph', async () => {
    // One fetch to orders for both fields: the planner passes the condition on with it.
    const query = 'query($s: Boolean!) { orders(first: 1) { pageInfo { hasNextPage } } other: order(id: "") @skip(if: $s) { id } }';
    const skipped = await gql(system.gatewayUrl, query, { s: true });
    expect(skipped.errors).toBeUndefined();
    expect(skipped.data).toEqual({ orders: { pageInfo: { hasNextPage: expect.any(Boolean) } } });
    expect(codes(await gql(system.gatewayUrl, query, { s: false }))).toEqual(['BAD_USER_INPUT']);
  });
});

/** Each entity type a subgraph resolves and its key field, from its own SDL (`_service`). */
async function entityKeys(url: string): Promise<{ type: string; key: string }[]> {
  const { data } = await gql(url, '{ _service { sdl } }');
  const sdl = (data as { _service: { sdl: string } })._service.sdl;
  return [...sdl.matchAll(/type (\w+)(?: implements [\w& ]+)?\s+@key\(fields: "(\w+)"(, resolvable: false)?\)/g)].flatMap((match) => (match[3] ? [] : [{ type: match[1]!, key: match[2]! }]));
}

describe('an entity reference that names nothing', () => {
  it('is BAD_USER_INPUT at every subgraph, whether its key is blank, not a string, or missing', async () => {
    const checked: string[] = [];
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }';
    for (const [name, url] of Object.entries(system.urls)) {
      for (const { type, key } of await entityKeys(url)) {
        const cases: [unknown, string][] = [
          [{ __typename: type, [key]: { $ne: null } }, `representations[0].${key} must be a string`],
          [{ __typename: type, [key]: 42 }, `representations[0].${key} must be a string`],
          [{ __typename: type }, `representations[0].${key} must be a string`],
          [{ __typename: type, [key]: '\u200B' }, `representations[0].${key} must not be empty`],
          [{ [key]: 'x' }, 'representations[0].__typename must be a string'],
          ['x', 'representations[0] must be an object'],
        ];
        for (const [representation, message] of cases) {
          const res = await gql(url, query, { r: [representation] });
          expect(res.errors?.map((error) => [error.message, error.extensions?.code]), `${name} ${JSON.stringify(representation)}`).toEqual([[message, 'BAD_USER_INPUT']]);
          expect(res.data?._entities ?? null).toBeNull();
        }
        checked.push(`${name} ${type}`);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(['vendors Vendor', 'customers Customer', 'orders Order', 'inventory Product']));
    // A type the service does not resolve (the gateway asks only for those it does).
    const unknown = await gql(system.urls.vendors, query, { r: [{ __typename: 'Vendor', id: 'v1' }, { __typename: 'Order', id: 'x' }] });
    expect(unknown.errors?.map((error) => [error.message, error.extensions?.code])).toEqual([['representations[1].__typename names no entity of this service', 'BAD_USER_INPUT']]);
  });
});

describe('a refused variable that holds a card number', () => {
  it('says where and why it was refused, and neither the answer nor the log quotes the number', async () => {
    const lines: string[] = [];
    const logged = await system.startGateway({ logger: createLogger('gateway', { level: 'debug', write: (line) => lines.push(line) }) });
    try {
      const addCard = `mutation($c: ID!, $i: PaymentMethodInput!) { addPaymentMethod(customerId: $c, input: $i) { id } }`;
      const placeOrder = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }`;
      const customerId = '65f000000000000000000001';
      const order = (extra: Record<string, unknown>) => ({ customerId, paymentMethodId: 'p1', lines: [{ sku: 'MUG-001', quantity: 1 }], ...extra });
      const card = '5105105105105100';
      for (const [query, input, expected] of [
        [addCard, { cardNumber: card, expMonth: 12, expYear: 2030, cvv: '123' }, 'Variable "$i" got an invalid value; Field "cvv" is not defined by type "PaymentMethodInput".'],
        [addCard, { cardNumber: Number(card), expMonth: 12, expYear: 2030 }, 'Variable "$i" got an invalid value at "i.cardNumber"; String cannot represent a non string value.'],
        [addCard, { [card]: 1, cardNumber: '4', expMonth: 12, expYear: 2030 }, 'Variable "$i" got an invalid value; A field is not defined by type "PaymentMethodInput".'],
        [placeOrder, order({ shippingMethod: card }), 'Variable "$i" got an invalid value at "i.shippingMethod"; Not a value of enum "ShippingMethod".'],
        [placeOrder, order({ shippingMethod: `x; ${card}` }), 'Variable "$i" got an invalid value at "i.shippingMethod"; Not a value of enum "ShippingMethod".'],
        [placeOrder, order({ lines: [{ sku: 'MUG-001', quantity: card }] }), 'Variable "$i" got an invalid value at "i.lines[0].quantity"; Int cannot represent non-integer value.'],
        [placeOrder, order({ lines: [{ quantity: 1 }] }), 'Variable "$i" got an invalid value at "i.lines[0]"; Field "sku" of required type "String!" was not provided.'],
      ] as const) {
        for (const url of [logged.url, productionGateway.url]) {
          const variables = query === addCard ? { c: customerId, i: input } : { i: input };
          const response = await post(url, JSON.stringify({ query, variables }));
          expect(response.status).toBe(400);
          expect(JSON.parse(response.text).errors).toMatchObject([{ message: expected, extensions: { code: 'BAD_USER_INPUT' } }]);
          expect(response.text).not.toContain(card);
        }
      }
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toContain(card);
      expect(lines.filter((line) => JSON.parse(line).level === 'error')).toEqual([]);
    } finally {
      await logged.close();
    }
  });
});

describe('production mode', () => {
  it('does not echo a malformed request body back in production, at the gateway or at a subgraph', async () => {
    const secret = '{"query": "{ __typename } # card 4111111111111111';
    for (const [name, url] of Object.entries(endpoints())) {
      const response = await post(url, secret);
      expect(response.status, name).toBe(400);
      const body = JSON.parse(response.text);
      expect(body.errors[0].extensions.code, name).toBe('BAD_REQUEST');
      if (name.startsWith('production')) {
        expect(response.text, name).not.toContain('4111111111111111');
        expect(body.errors[0].extensions.originalError, name).toBeUndefined();
      }
    }
  });
});

describe('a GET whose variables or extensions are not JSON', () => {
  it('is a malformed request (400, BAD_REQUEST), not an internal error, at the gateway and at a subgraph, and not logged as an error', async () => {
    const lines: string[] = [];
    const logged = await system.startGateway({ logger: createLogger('gateway', { level: 'debug', write: (line) => lines.push(line) }) });
    try {
      for (const url of [system.gatewayUrl, productionGateway.url, productionSubgraph.url, logged.url]) {
        for (const parameter of ['variables={', 'extensions={"persistedQuery":', 'variables=card-4111111111111111']) {
          const response = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}&${parameter}`, { headers: { authorization: await defaultAuthorization(url) } });
          expect(response.status, `${url} ${parameter}`).toBe(400);
          const body = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
          expect(body.errors.map((error) => error.extensions), `${url} ${parameter}`).toEqual([{ code: 'BAD_REQUEST' }]);
        }
      }
      // The client's mistake: no error-level line an operator is paged for, and nothing of what it sent.
      expect(lines.filter((line) => JSON.parse(line).level === 'error')).toEqual([]);
      expect(lines.join('\n')).not.toContain('card-41');
    } finally {
      await logged.close();
    }
  });
});

describe('a multipart request (file uploads)', () => {
  it('is refused whole with 415, at the gateway and at a subgraph: no field takes a file', async () => {
    for (const url of [system.gatewayUrl, productionSubgraph.url]) {
      for (const operations of ['{bad', JSON.stringify({ query: '{ __typename }' })]) {
        const form = new FormData();
        form.append('operations', operations);
        form.append('map', '{}');
        const response = await fetch(url, { method: 'POST', body: form, headers: { authorization: await defaultAuthorization(url) } });
        expect(response.status, `${url} ${operations}`).toBe(415);
      }
    }
  });
});

describe('a body that is not JSON: text, a form, or without a type (a forgotten header)', () => {
  it('is refused with 415 and an error that says what to send', async () => {
    // An answer's type given as the request's (Accept and Content-Type mixed up) too: yoga answered it with an empty 415.
    for (const headers of [{ 'content-type': 'text/plain;charset=UTF-8' }, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'application/jsonx' }, { 'content-type': 'application/graphql-response+json' }, {}] as Record<string, string>[]) {
      // fetch makes a string body text/plain; a Blob without a type goes with none.
      const body = 'content-type' in headers ? JSON.stringify({ query: '{ __typename }' }) : new Blob([JSON.stringify({ query: '{ __typename }' })]);
      const response = await fetch(system.gatewayUrl, { method: 'POST', body, headers });
      expect(response.status).toBe(415);
      const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(answer.errors[0]!.extensions.code).toBe('BAD_REQUEST');
      expect(answer.errors[0]!.message).toMatch(/Content-Type: application\/json/);
    }
    // A media type in any case is the same type.
    const upper = await fetch(system.gatewayUrl, { method: 'POST', body: JSON.stringify({ query: '{ __typename }' }), headers: { 'content-type': 'APPLICATION/JSON; charset=utf-8' } });
    expect(upper.status).toBe(200);
    expect(await upper.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('is refused with 415 when it says it is in another charset than UTF-8, which it would be read as', async () => {
    for (const charset of ['utf-16', 'ISO-8859-1', '"utf-16le"', 'utf-8; charset=latin1', '', 'latin1 x', 'utf-8, charset=latin1', '"utf-8"x']) {
      const response = await fetch(system.gatewayUrl, { method: 'POST', body: JSON.stringify({ query: '{ __typename }' }), headers: { 'content-type': `application/json; charset=${charset}` } });
      expect(response.status, charset).toBe(415);
      const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(answer.errors[0]!.extensions.code).toBe('BAD_REQUEST');
      expect(answer.errors[0]!.message).toMatch(/as UTF-8/);
    }
    const utf8 = await fetch(system.gatewayUrl, { method: 'POST', body: JSON.stringify({ query: '{ __typename }' }), headers: { 'content-type': 'application/json;charset="UTF-8"' } });
    expect(await utf8.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('a subgraph that cannot be reached', () => {
  it('is named in the answer, and why only in development: the reason names internal addresses', async () => {
    await system.stop('vendors');
    try {
      const query = '{ vendors(first: 3) { edges { node { id name } } } }';
      const production = await gql(productionGateway.url, query);
      expect(production.errors?.[0]?.extensions).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', serviceName: 'vendors' });
      expect(production.errors?.[0]?.extensions).not.toHaveProperty('reason');
      expect(JSON.stringify(production)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
      const development = await gql(system.gatewayUrl, query);
      expect(development.errors?.[0]?.extensions).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', serviceName: 'vendors', reason: expect.stringMatching(/ECONNREFUSED/) });
      // What catalog keeps of a vendor (its name) is still answered; the rest is vendors' to say.
      const product = await gql(system.gatewayUrl, '{ product(sku: "MUG-001") { title vendor { name } } }');
      expect(product.errors).toBeUndefined();
      expect(product.data).toEqual({ product: { title: 'Manifesto Mug', vendor: { name: 'Globex Homeware' } } });
      const country = await gql(system.gatewayUrl, '{ product(sku: "MUG-001") { title vendor { name country } } }');
      expect(codes(country)).toEqual(['DEPENDENCY_UNAVAILABLE']);
      expect(country.data).toEqual({ product: { title: 'Manifesto Mug', vendor: null } });
    } finally {
      await system.restart('vendors');
    }
  });
});

describe('introspection', () => {
  it('is refused by a production gateway, over HTTP and WebSockets, with no suggestions for typos, and answered in development', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Order") { fields { name } } }', '{ product(sku: "MUG-001") { sku } ...on Query { __schema { queryType { name } } } }']) {
      const refused = await gql(productionGateway.url, query);
      expect(new Set(codes(refused)), query).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(refused.errors![0]!.message, query).toContain('introspection');
      expect(refused.data ?? null, query).toBeNull();
      expect((await gql(system.gatewayUrl, query)).errors, query).toBeUndefined();
    }
    expect((await gql(productionGateway.url, '{ __typename product(sku: "MUG-001") { __typename sku } }')).data).toEqual({ __typename: 'Query', product: { __typename: 'Product', sku: 'MUG-001' } });
    // Nor does it spell the schema out through suggestions for typos.
    for (const typo of ['{ ordr(id: "x") { id } }', '{ products(frist: 1) { edges { node { sku } } } }', '{ product(sku: "MUG-001") { ... on Prodct { sku } } }']) {
      const production = await gql(productionGateway.url, typo);
      expect(codes(production), typo).toContain('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(production.errors), typo).not.toContain('Did you mean');
      expect(JSON.stringify((await gql(system.gatewayUrl, typo)).errors), typo).toContain('Did you mean');
    }
    const client = wsClient(productionGateway.url, { authorization: await defaultAuthorization(productionGateway.url) });
    try {
      const sent = collect(client, '{ __schema { types { name } } }');
      await sent.until((c) => c.error !== undefined || c.results.length > 0);
      expect(new Set((sent.error as { extensions?: { code?: string } }[] | undefined)?.map((e) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    } finally {
      await client.dispose();
    }
  });
});

describe('a request that quotes 50,000 characters back', () => {
  it('gets a message of at most 500 characters, from the gateway and from a subgraph, and still its code', async () => {
    const long = 'z'.repeat(50_000);
    const requests = [
      // A refusal a service raised, quoting the argument (orders, through the gateway): an id under the
      // 1,000 bytes any id may have (a longer one is refused before, without quoting it).
      [system.gatewayUrl, JSON.stringify({ query: 'query($id: ID!) { order(id: $id) { id } }', variables: { id: 'z'.repeat(900) } }), 'BAD_USER_INPUT'],
      // graphql-js's own validation, quoting a field name (a gateway refuses a name that long before, without quoting it).
      [system.gatewayUrl, JSON.stringify({ query: `{ ${long} }` }), 'QUERY_TOO_COMPLEX'],
      [system.urls.inventory, JSON.stringify({ query: `{ ${long} }` }), 'GRAPHQL_VALIDATION_FAILED'],
      [productionGateway.url, JSON.stringify({ query: `{ ${long} }` }), 'QUERY_TOO_COMPLEX'],
    ] as const;
    for (const [url, body, code] of requests) {
      const response = await post(url, body);
      const { errors } = JSON.parse(response.text) as { errors: { message: string; extensions: { code: string } }[] };
      expect(errors[0]!.extensions.code, url).toBe(code);
      expect(errors[0]!.message.length, url).toBeLessThanOrEqual(500);
      expect(errors[0]!.message.endsWith('…'), url).toBe(code !== 'QUERY_TOO_COMPLEX');
      expect(response.text.length, url).toBeLessThan(2_000);
    }
    // A parse error keeps where it is.
    const unparsable = JSON.parse((await post(system.gatewayUrl, JSON.stringify({ query: `{ __typename } ${long}` }))).text) as { errors: { message: string; locations?: unknown[] }[] };
    expect(unparsable.errors[0]!.message.length).toBeLessThanOrEqual(500);
    expect(unparsable.errors[0]!.locations).toEqual([{ line: 1, column: 16 }]);
    // Over a WebSocket: a subscription's refusal (tracking names the stage it does not know), a
    // parse error, and the check of a request's text (a NUL in a variable with a long name).
    for (const url of [system.gatewayUrl, system.urls.tracking]) {
      const client = wsClient(url, { authorization: await defaultAuthorization(url) });
      try {
        for (const [query, variables, code] of [
          ['subscription($stage: String) { pipelineTransitions(stage: $stage) { cursor } }', { stage: long }, 'BAD_USER_INPUT'],
          [`subscription { pipelineTransitions { cursor } } ${long}`, {}, 'GRAPHQL_PARSE_FAILED'],
          ['subscription { pipelineTransitions { cursor } }', { [long]: '\u0000' }, 'BAD_USER_INPUT'],
        ] as const) {
          const sent = collect(client, query, variables);
          await sent.until((c) => c.error !== undefined || c.results.length > 0);
          const errors = (sent.error as { message: string; extensions?: { code?: string } }[] | undefined) ?? sent.results[0]?.errors;
          expect(errors?.map((e) => e.extensions?.code), `${url} ${code}`).toEqual([code]);
          expect(errors![0]!.message.length, `${url} ${code}`).toBeLessThanOrEqual(500);
        }
      } finally {
        await client.dispose();
      }
    }
  });
});

describe('text no database can store', () => {
  it('refuses a NUL character or a lone surrogate, in variables or in the document, before anything is written', async () => {
    const receiveItems = `mutation($id: ID!) { receiveItems(input: { receiptId: $id, sku: "MUG-001", distributionCenter: "LHR1", bin: "T-9", quantity: 1 }) { id } }`;
    const cases = [
      [system.gatewayUrl, JSON.stringify({ query: receiveItems, variables: { id: 'nul\u0000receipt' } })],
      // Nested deeper than a recursive check could follow (written out by hand: JSON.stringify cannot).
      [system.gatewayUrl, `{"query":${JSON.stringify(receiveItems)},"variables":{"id":${nestedJson('"nul\\u0000receipt"', 20_000)}}}`],
      [system.gatewayUrl, JSON.stringify({ query: receiveItems, variables: { id: 'half\ud800surrogate' } })],
      [system.gatewayUrl, JSON.stringify({ query: `{ receipt(id: "a\\u0000b") { id } }` })],
      [system.urls.receiving, JSON.stringify({ query: receiveItems, variables: { id: 'nul\u0000receipt' } })],
      [productionGateway.url, JSON.stringify({ query: receiveItems, variables: { id: 'nul\u0000receipt' } })],
    ] as const;
    for (const [url, body] of cases) {
      const response = await post(url, body);
      expect(response.status, `${url} ${response.text}`).toBe(400);
      const parsed = JSON.parse(response.text);
      expect(parsed.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
      expect(response.text).not.toMatch(/SQLSTATE|Unicode escape/);
    }
    // Answered as a variable of the wrong type is (GraphQL over HTTP's request errors): 200 to a client that accepts only application/json.
    for (const variables of [{ id: 'nul\u0000receipt' }, { id: true }]) {
      const asJson = await fetch(system.gatewayUrl, { method: 'POST', body: JSON.stringify({ query: receiveItems, variables }), headers: { 'content-type': 'application/json', accept: 'application/json', authorization: await defaultAuthorization(system.gatewayUrl) } });
      const text = await asJson.text();
      expect(asJson.status, `${JSON.stringify(variables)} ${text}`).toBe(200);
      expect((JSON.parse(text) as { errors: { extensions: { code: string } }[] }).errors.map((e) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    }
    // Over a WebSocket, as over HTTP.
    const client = wsClient(system.gatewayUrl);
    try {
      for (const variables of [{ id: 'nul\u0000receipt' }, { id: 'half\ud800surrogate' }]) {
        const sent = collect(client, receiveItems, variables);
        await sent.until((c) => c.error !== undefined || c.results.length > 0);
        const errors = (sent.error as { extensions?: { code?: string } }[] | undefined) ?? sent.results[0]?.errors;
        expect(errors?.map((e) => e.extensions?.code), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
        // As over HTTP, where the status says it: no `http` extension for the client.
        expect(errors?.[0]?.extensions).not.toHaveProperty('http');
      }
    } finally {
      await client.dispose();
    }
    const deep = await subscribeRaw(system.gatewayUrl, `{"query":${JSON.stringify(receiveItems)},"variables":{"id":${nestedJson('"nul\\u0000receipt"', 20_000)}}}`);
    expect(deep.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const receipts = await post(system.urls.receiving, JSON.stringify({ query: `{ receipts(first: 100) { edges { node { id } } } }` }));
    expect(JSON.parse(receipts.text).data.receipts.edges).toEqual([]);
  });
});

/** `json` inside `depth` arrays, as JSON text. */
function nestedJson(json: string, depth: number): string {
  return `${'['.repeat(depth)}${json}${']'.repeat(depth)}`;
}

/** Sends one operation over a graphql-ws WebSocket as raw text (the payload's JSON as given); the errors it is answered with. */
async function subscribeRaw(httpUrl: string, payload: string): Promise<{ message?: string; extensions?: { code?: string } }[]> {
  const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  try {
    const messages: { type: string; payload?: unknown }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await operator()}` } }));
    await eventually(async () => messages, (m) => m.some((message) => message.type === 'connection_ack'), 5_000);
    socket.send(`{"type":"subscribe","id":"1","payload":${payload}}`);
    const answer = await eventually(async () => messages.find((message) => message.type === 'error' || message.type === 'next'), (m) => m !== undefined, 5_000);
    return answer!.type === 'error' ? (answer!.payload as { extensions?: { code?: string } }[]) : ((answer!.payload as { errors?: [] }).errors ?? []);
  } finally {
    socket.close();
  }
}

/** Sends a POST's head and `chunks` of body by hand (what fetch will not: a Content-Length it does not send, or a chunked body), and reads the answer. */
function rawPost(url: string, headers: Record<string, string>, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    // A body announced larger than the limit is never sent: the answer must come without it.
    if (!headers['content-length']) request.end();
  });
}

describe('a body past what a subgraph takes', () => {
  it('is refused by its Content-Length before it is read (413), and a chunked body with 411, while a body within the limit is served', { timeout: 60_000 }, async () => {
    for (const url of [system.urls.inventory, productionSubgraph.url]) {
      const authorization = await defaultAuthorization(url);
      const announced = await rawPost(url, { authorization, 'content-length': String(SUBGRAPH_MAX_BODY_BYTES + 1) }, ['{"query":']);
      expect(announced.status, url).toBe(413);
      expect(JSON.parse(announced.body).errors[0].extensions, url).toEqual({ code: 'REQUEST_TOO_LARGE', limit: 'body', maxBytes: SUBGRAPH_MAX_BODY_BYTES });
      const chunked = await rawPost(url, { authorization, 'transfer-encoding': 'chunked' }, ['{"query":', '"{ __typename }"}']);
      expect(chunked.status, url).toBe(411);
      expect(JSON.parse(chunked.body).errors[0].extensions.code, url).toBe('REQUEST_TOO_LARGE');
      // Sent on by a client that is told while it sends (fetch, from another process): the answer reaches it, every time.
      const tooLarge = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(SUBGRAPH_MAX_BODY_BYTES) } });
      expect(await postFromAnotherProcess(url, tooLarge, 6, { authorization })).toEqual([413, 413, 413, 413, 413, 413]);
      // Within the limit: served, a megabyte of variables included.
      const large = await post(url, JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(1_000_000) } }));
      expect(large.status, url).toBe(200);
      expect(JSON.parse(large.text)).toEqual({ data: { __typename: 'Query' } });
    }
  });
});
