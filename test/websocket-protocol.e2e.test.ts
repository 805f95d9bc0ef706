import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gql, TestDatabases, testTokens, userToken } from './harness.ts';
import { collect, wsClient } from './subscriber.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';
import { scrape, total } from './prometheus.ts';

// The graphql-ws protocol as the gateway speaks it, driven with raw WebSocket frames.

const dbs = new TestDatabases();
let system: RunningSystem;
let guarded: { url: string; close(): Promise<void> };
let token: string;

beforeAll(async () => {
  system = await startSystem(dbs, { workers: false });
  token = await userToken({ role: 'warehouse' });
  guarded = await system.startGateway({ maxSubscriptionsPerConnection: 2 });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

interface RawSocket {
  send(message: object | string): void;
  /** Drops the connection without a close handshake, as a client that vanished. */
  terminate(): void;
  messages: Record<string, any>[];
  closed: Promise<{ code: number; reason: string }>;
  next(type: string, timeoutMs?: number): Promise<Record<string, any>>;
  close(): void;
  /** Stops reading the connection, as a client that hangs: the server's frames wait unread. */
  stopReading(): void;
}

async function connect(httpUrl: string): Promise<RawSocket> {
  const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: Record<string, any>[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    messages,
    closed,
    async next(type, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.type === type);
        if (found) {
          messages.splice(messages.indexOf(found), 1);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`no ${type} message; got ${JSON.stringify(messages)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => socket.close(),
    stopReading: () => socket.pause(),
    terminate: () => socket.terminate(),
  };
}

const subscribe = (id: string, query = 'subscription { pipelineTransitions { cursor } }') => ({ id, type: 'subscribe', payload: { query } });

describe('graphql-ws protocol at the gateway', () => {
  it('acknowledges connection_init and answers ping with pong', async () => {
    const socket = await connect(system.gatewayUrl);
    socket.send({ type: 'connection_init' });
    await socket.next('connection_ack');
    socket.send({ type: 'ping', payload: { at: 1 } });
    expect(await socket.next('pong')).toMatchObject({ type: 'pong' });
    socket.close();
  });

  it('closes with 4408 when connection_init does not come in time', async () => {
    const socket = await connect(system.gatewayUrl);
    expect((await socket.closed).code).toBe(4408);
  });

  it('closes with 4401 on subscribe before the connection is acknowledged', async () => {
    const socket = await connect(system.gatewayUrl);
    socket.send(subscribe('1'));
    expect((await socket.closed).code).toBe(4401);
  });

  it('closes with 4429 on a second connection_init', async () => {
    const socket = await connect(system.gatewayUrl);
    socket.send({ type: 'connection_init' });
    await socket.next('connection_ack');
    socket.send({ type: 'connection_init' });
    expect((await socket.closed).code).toBe(4429);
  });

  it('closes with 4409 when a subscription id is reused while active', async () => {
    const socket = await connect(system.gatewayUrl);
    socket.send({ type: 'connection_init' });
    await socket.next('connection_ack');
    socket.send(subscribe('same'));
    socket.send(subscribe('same'));
    expect((await socket.closed).code).toBe(4409);
  });

  it('takes a message as long as an HTTP request may be, and closes with 1009 on a longer one', async () => {
    const socket = await connect(system.gatewayUrl);
    socket.send({ type: 'connection_init' });
    await socket.next('connection_ack');
    const limit = 100_000; // GATEWAY_MAX_BODY_BYTES
    socket.send({ type: 'ping', payload: { pad: 'x'.repeat(limit - 100) } });
    await socket.next('pong');
    socket.send({ type: 'ping', payload: { pad: 'x'.repeat(limit + 1) } });
    expect((await socket.closed).code).toBe(1009);
  });

  it('closes with 4400 on a message that is not part of the protocol', async () => {
    const socket = await connect(system.gatewayUrl);
    socket.send('{"type":"hello"}');
    expect((await socket.closed).code).toBe(4400);
  });

  it('answers an invalid subscription with an error message for that id, and the connection stays, and the subscriptions on it', async () => {
    const socket = await connect(system.gatewayUrl);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await socket.next('connection_ack');
    socket.send(subscribe('bad', 'subscription { pipelineTransitions { noSuchField } }'));
    const error = await socket.next('error');
    expect(error.id).toBe('bad');
    expect(error.payload[0].message).toMatch(/noSuchField/);
    socket.send(subscribe('cursor', 'subscription { pipelineTransitions(after: "not-a-cursor") { cursor } }'));
    const refused = await socket.next('next');
    expect(refused.payload.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    // A root field selected conditionally, written out, in a fragment, or by a variable: refused on
    // its own, while a subscription already running on the connection goes on.
    socket.send(subscribe('running', 'subscription { pipelineTransitions(elementType: RECEIPT) { cursor } }'));
    for (const [id, query, variables, answer, code] of [
      ['skip', 'subscription { pipelineTransitions @skip(if: true) { cursor } }', {}, 'next', 'BAD_USER_INPUT'],
      ['fragment', 'subscription { ...Root @include(if: false) } fragment Root on Subscription { pipelineTransitions { cursor } }', {}, 'next', 'BAD_USER_INPUT'],
      // graphql-js's own check of a subscription's single field throws on this (it has no variables yet).
      ['variable', 'subscription($s: Boolean!) { ... on Subscription @skip(if: $s) { pipelineTransitions { cursor } } }', { s: false }, 'error', 'GRAPHQL_VALIDATION_FAILED'],
    ] as const) {
      socket.send({ id, type: 'subscribe', payload: { query, variables } });
      const conditional = await socket.next(answer);
      expect(conditional.id, id).toBe(id);
      const errors = (answer === 'next' ? conditional.payload.errors : conditional.payload) as { message: string; extensions: { code: string } }[];
      expect(errors.map((e) => e.extensions.code), id).toEqual([code]);
      expect(errors[0]!.message, id).toMatch(/@skip/);
    }
    // Refusals made while executing (a variable's value, a field this caller may not use) answer
    // without what only HTTP needs (`extensions.http`).
    socket.send({ id: 'variable-value', type: 'subscribe', payload: { query: 'subscription($t: ElementType) { pipelineTransitions(elementType: $t) { cursor } }', variables: { t: 'NOPE' } } });
    socket.send(subscribe('forbidden', `subscription { orderTransitions(orderId: "${'f'.repeat(24)}") { cursor } }`));
    const refusals = [await socket.next('next'), await socket.next('next')];
    for (const [id, code] of [['variable-value', 'BAD_USER_INPUT'], ['forbidden', 'FORBIDDEN']]) {
      const refusal = refusals.find((message) => message.id === id)!;
      expect(refusal.payload.errors.map((e: { extensions: Record<string, unknown> }) => e.extensions.code), id).toEqual([code]);
      expect(refusal.payload.errors[0].extensions, id).not.toHaveProperty('http');
    }
    // A variable's value nested 40,000 deep: refused as any value of the wrong type, declared or
    // not; the connection and its other subscriptions stay (it used to close them all, 4500).
    const deep = `${'['.repeat(40_000)}"RECEIPT"${']'.repeat(40_000)}`; // sent as text: JSON.stringify would run out of stack here too
    const withVariables = (id: string, query: string, variables: string) => `{"id":"${id}","type":"subscribe","payload":{"query":${JSON.stringify(query)},"variables":${variables}}}`;
    socket.send(withVariables('deep-declared', 'subscription($t: ElementType) { pipelineTransitions(elementType: $t) { cursor } }', `{"t":${deep}}`));
    expect((await socket.next('next')).payload.errors.map((e: { extensions: Record<string, unknown> }) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    socket.send(withVariables('deep-undeclared', 'subscription { pipelineTransitions(elementType: RECEIPT) { cursor } }', `{"junk":${deep}}`));
    socket.send({ type: 'ping' });
    await socket.next('pong');
    socket.send({ id: 'deep-undeclared', type: 'complete' });
    socket.send({ id: 'running', type: 'complete' });
    socket.close();
  });

  it('answers a document that does not parse, validate or name the operation to run with the code HTTP gives it, whichever way the text came first', async () => {
    const socket = await connect(system.gatewayUrl);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await socket.next('connection_ack');
    const overHttp = async (query: string) => ((await (await fetch(system.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) })).json()) as { errors: { extensions: Record<string, unknown> }[] }).errors[0]!;
    const overSocket = async (id: string, query: string) => {
      socket.send(subscribe(id, query));
      return (await socket.next('error')).payload[0] as { message: string; locations?: unknown; extensions: Record<string, unknown> };
    };
    const unique = Date.now();
    // Each text first over the socket, then over HTTP; and the other way round.
    const first = await overSocket('p1', `query First${unique} {`);
    expect(first).toMatchObject({ message: 'Syntax Error: Expected Name, found <EOF>.', locations: [{ line: 1, column: expect.any(Number) }], extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect(first.extensions).not.toHaveProperty('http');
    expect((await overHttp(`query First${unique} {`)).extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect((await overHttp(`query Second${unique} {`)).extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const second = await overSocket('p2', `query Second${unique} {`);
    expect(second.extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    const invalid = await overSocket('v1', `query Third${unique} { noSuchField }`);
    expect(invalid.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    // Nested past the parser's bound: refused as over HTTP, not the parser running out of stack.
    const deep = `subscription Deep${unique} { pipelineTransitions(stage: ${'['.repeat(20_000)}"picking"${']'.repeat(20_000)}) { cursor } }`;
    const tooDeep = await overSocket('n1', deep);
    expect(tooDeep.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'nesting' });
    expect((await overHttp(deep)).extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'nesting' });
    // Two operations and no operationName, or one naming neither: HTTP says it could not tell which to run.
    const twoOperations = 'subscription A { pipelineTransitions { cursor } } subscription B { pipelineTransitions { cursor } }';
    for (const [id, operationName] of [['o1', undefined], ['o2', 'Ghost']] as const) {
      socket.send({ id, type: 'subscribe', payload: { query: twoOperations, ...(operationName ? { operationName } : {}) } });
      const unresolved = (await socket.next('error')).payload[0] as { message: string; extensions: Record<string, unknown> };
      expect(unresolved).toEqual({ message: 'Could not determine what operation to execute.', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
    }
    const overHttpUnresolved = await fetch(system.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: twoOperations }) });
    expect(((await overHttpUnresolved.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
    socket.close();
  });

  it("keeps a service's connection to a subgraph open after its short-lived token expires, and its subscriptions running", async () => {
    // The gateway's one connection to tracking carries every client's subscription; the gateway
    // ends each when its own client's credential expires.
    const serviceToken = await testTokens.sign({ subject: 'service:gateway', scopes: ['service'] }, 2);
    const socket = await connect(system.urls.tracking);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${serviceToken}` } });
    await socket.next('connection_ack');
    socket.send({ id: 's1', type: 'subscribe', payload: { query: 'subscription { pipelineTransitions(elementType: RECEIPT) { transition { elementId } } }' } });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const input = [{ id: 'test:after-expiry', elementType: 'RECEIPT', elementId: 'r-after-expiry', from: 'QUEUED', to: 'STOCKED', node: 'receiving', at: new Date().toISOString() }];
    await gql(system.urls.tracking, 'mutation($input: [TransitionInput!]!) { recordTransitions(input: $input) }', { input });
    const next = await socket.next('next');
    expect(next.payload.data.pipelineTransitions.transition.elementId).toBe('r-after-expiry');
    const stillOpen = await Promise.race([socket.closed.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), 100))]);
    expect(stillOpen).toBe(true);
    socket.close();
  });

  it('drops what it would send to clients that vanished, without taking it for an internal error', async () => {
    // Found by an attack: subscriptions opened and dropped at once printed hundreds of "Internal
    // error occurred during message handling" with a stack each (graphql-ws, to the console).
    const printed = vi.spyOn(console, 'error');
    try {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const socket = await connect(system.gatewayUrl);
          socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
          await socket.next('connection_ack');
          for (let n = 0; n < 50; n++) socket.send({ id: `s${i}-${n}`, type: 'subscribe', payload: { query: `subscription { pipelineTransitions(after: "0") { cursor } }` } });
          socket.terminate();
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(printed.mock.calls.map((call) => String(call[0]))).toEqual([]);
      // The gateway still serves subscriptions.
      const client = wsClient(system.gatewayUrl, { authorization: `Bearer ${token}` });
      try {
        const followed = collect(client, 'subscription { pipelineTransitions { cursor } }');
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(followed.error).toBeUndefined();
        followed.stop();
      } finally {
        await client.dispose();
      }
    } finally {
      printed.mockRestore();
    }
  });

  it('counts a connection that closed while its token was being checked as closed', async () => {
    const open = async () => total(await scrape(system.gatewayMetricsUrl), 'websocket_connections', { service: 'gateway' });
    const before = await open();
    for (let i = 0; i < 12; i++) {
      const fresh = await userToken({ role: 'warehouse', sub: `hasty-${i}-${Date.now()}` });
      const socket = new WebSocket(system.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${fresh}` } }));
      socket.terminate();
    }
    expect(await eventually(open, (count) => count === before, 5_000)).toBe(before);
  });

  it('reads the token whatever the case of its key (`Authorization`, as most clients send it), as HTTP reads its header', async () => {
    for (const key of ['Authorization', 'AUTHORIZATION']) {
      const client = wsClient(guarded.url, { [key]: `Bearer ${token}` });
      try {
        const followed = collect(client, 'subscription { pipelineTransitions { cursor } }');
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(followed.error, key).toBeUndefined();
        followed.stop();
      } finally {
        await client.dispose();
      }
    }
    // A key that only looks like it signs in nobody.
    const socket = await connect(guarded.url);
    socket.send({ type: 'connection_init', payload: { authorisation: `Bearer ${token}` } });
    await socket.next('connection_ack');
    socket.send(subscribe('1'));
    const refused = await socket.next('next');
    expect(refused.payload.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    socket.close();
  });

  it('closes with 4403 when the connection carries a token that does not verify', async () => {
    const socket = await connect(guarded.url);
    socket.send({ type: 'connection_init', payload: { authorization: 'Bearer wrong' } });
    expect((await socket.closed).code).toBe(4403);
  });

  it('closes with 4403 when the credentials are not text, rather than signing in anonymously', async () => {
    for (const authorization of [[`Bearer ${token}`], { bearer: token }, 42, true]) {
      const socket = await connect(guarded.url);
      socket.send({ type: 'connection_init', payload: { Authorization: authorization } });
      expect((await socket.closed).code, JSON.stringify(authorization)).toBe(4403);
    }
    // Two, in different cases (one of them empty or not text): not one picked over the other.
    for (const payload of [{ authorization: null, Authorization: 'Bearer forged' }, { authorization: `Bearer ${token}`, AUTHORIZATION: ['x'] }]) {
      const socket = await connect(guarded.url);
      socket.send({ type: 'connection_init', payload });
      expect((await socket.closed).code, JSON.stringify(payload)).toBe(4403);
    }
  });

  it('accepts a valid token on connect and limits subscriptions per connection', async () => {
    const client = wsClient(guarded.url, { authorization: `Bearer ${token}` });
    try {
      const query = 'subscription($state: String) { pipelineTransitions(state: $state) { cursor } }';
      const first = collect(client, query, { state: 'PICKING' });
      const second = collect(client, query, { state: 'REBIN' });
      const third = collect(client, query, { state: 'SHIPPED' });
      await third.until((c) => c.error !== undefined);
      expect((third.error as { extensions: { code: string } }[])[0]!.extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
      expect(first.error).toBeUndefined();
      expect(second.error).toBeUndefined();
      first.stop();
      second.stop();
    } finally {
      await client.dispose();
    }
  });

  it('refuses a subscription over HTTP (server-sent events) without a token', async () => {
    const response = await fetch(guarded.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { pipelineTransitions { cursor } }' }),
    });
    const text = await response.text();
    expect(text).toContain('UNAUTHENTICATED');
  });
});

describe('connections per address', () => {
  it('refuses a connection past the limit at the upgrade (429), and takes one again once another closed', async () => {
    const limited = await system.startGateway({ limits: { maxConnectionsPerAddress: 3 } });
    try {
      const open = await Promise.all([0, 1, 2].map(() => connect(limited.url)));
      const refusal = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(limited.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('open', () => reject(new Error('a fourth connection was accepted')));
        socket.once('error', () => undefined);
      });
      expect(refusal).toBe(429);
      expect(await upgradeAnswer(limited.url)).toMatchObject({ status: 429, json: true, codes: ['RATE_LIMITED'] });
      open[0]!.close();
      await open[0]!.closed;
      const again = await eventually(
        () => connect(limited.url).then((socket) => socket, () => null),
        (socket) => socket !== null,
        5_000,
      );
      for (const socket of [...open.slice(1), again!]) socket.close();
    } finally {
      await limited.close();
    }
  });
});

describe('a WebSocket upgrade that is refused', () => {
  it('is answered with JSON and an extensions.code, as an HTTP request is, never with an HTML page', async () => {
    // No Sec-WebSocket-Key: not a WebSocket handshake ws can take.
    expect(await upgradeAnswer(system.gatewayUrl, { 'sec-websocket-key': undefined })).toMatchObject({ status: 400, json: true, codes: ['BAD_REQUEST'] });
    // Saying which versions are taken (RFC 6455, 4.4), and which method (HTTP's 405).
    expect(await upgradeAnswer(system.gatewayUrl, { 'sec-websocket-version': '12' })).toMatchObject({ status: 400, json: true, codes: ['BAD_REQUEST'], headers: { 'sec-websocket-version': '13, 8' } });
    expect(await upgradeAnswer(system.gatewayUrl, { method: 'POST' })).toMatchObject({ status: 405, json: true, codes: ['BAD_REQUEST'], headers: { allow: 'GET' } });
    // A path nothing is served at over a WebSocket.
    expect(await upgradeAnswer(new URL('/subscriptions', system.gatewayUrl).href)).toMatchObject({ status: 404, json: true, codes: ['NOT_FOUND'] });
    // And the endpoint still takes a good one.
    const socket = await connect(system.gatewayUrl);
    socket.close();
  });

  it('answers a request sent before an upgrade on the same connection first, then switches', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const url = new URL(system.gatewayUrl);
    const raw = new Promise<string>((resolve, reject) => {
      const socket = netConnect({ host: url.hostname, port: Number(url.port) }, () =>
        socket.write(post(url.pathname, body) + upgradeRequest(url.pathname)),
      );
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (received.includes('101 Switching Protocols') && received.includes('__typename')) {
          socket.destroy();
          resolve(received);
        }
      });
      socket.on('error', reject);
      setTimeout(() => (socket.destroy(), resolve(received)), 5_000);
    });
    const received = await raw;
    expect(received.indexOf('HTTP/1.1 200')).toBeGreaterThanOrEqual(0);
    expect(received.indexOf('HTTP/1.1 200')).toBeLessThan(received.indexOf('HTTP/1.1 101'));
  });
});

describe('an upgrade waiting behind an answer on its connection', () => {
  /** A subscription over server-sent events, whose answer does not end. */
  const endless = (path: string) => post(path, JSON.stringify({ query: 'subscription { pipelineTransitions { cursor } }' }), `accept: text/event-stream\r\nauthorization: Bearer ${token}\r\n`);

  it('is not taken down by a client that resets its connection meanwhile', async () => {
    const url = new URL(system.gatewayUrl);
    for (let i = 0; i < 6; i++) {
      const socket = netConnect({ host: url.hostname, port: Number(url.port) }, () => {
        // Behind a quick answer, or one that does not end.
        socket.write((i % 2 === 0 ? post(url.pathname, JSON.stringify({ query: '{ __typename }' })) : endless(url.pathname)) + upgradeRequest(url.pathname));
        setTimeout(() => socket.resetAndDestroy(), i % 2 === 0 ? i : 100);
      });
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('close', resolve));
    }
    // Still serving (a reset thrown as an unhandled error would have ended this process).
    expect((await gql(system.gatewayUrl, '{ __typename }')).status).toBe(200);
  });

  it('counts towards its address\'s connections while it waits, and does not hold a stop past the grace', async () => {
    const limited = await system.startGateway({ limits: { maxConnectionsPerAddress: 3 } });
    const url = new URL(limited.url);
    const sockets = [0, 1, 2].map(() => {
      const socket = netConnect({ host: url.hostname, port: Number(url.port) }, () => socket.write(endless(url.pathname) + upgradeRequest(url.pathname)));
      socket.on('error', () => {});
      return socket;
    });
    try {
      // Three upgrades wait behind their subscriptions: a fourth from the same address is one too many.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await upgradeAnswer(limited.url)).toMatchObject({ status: 429, codes: ['RATE_LIMITED'] });
      const startedAt = Date.now();
      await limited.close();
      expect(Date.now() - startedAt).toBeLessThan(4_500);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('a HEAD upgrade is refused without a body', async () => {
    const url = new URL(system.gatewayUrl);
    const received = await new Promise<string>((resolve, reject) => {
      const socket = netConnect({ host: url.hostname, port: Number(url.port) }, () => socket.write(upgradeRequest(url.pathname).replace(/^GET/, 'HEAD')));
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(received).toMatch(/^HTTP\/1.1 405 /);
    expect(received.endsWith('\r\n\r\n')).toBe(true);
  });
});

describe('a stopping gateway', () => {
  it('cuts off a subscriber that has stopped reading, rather than waiting for its answer to the close', async () => {
    const gateway = await system.startGateway();
    const socket = await connect(gateway.url);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await socket.next('connection_ack');
    socket.stopReading();
    const startedAt = Date.now();
    await gateway.close();
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});

/** A WebSocket upgrade request for `path`, written raw. */
const upgradeRequest = (path: string) =>
  `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-protocol: graphql-transport-ws\r\n\r\n`;
/** A JSON POST to `path`, written raw. */
const post = (path: string, body: string, headers = '') => `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** What the server answers an upgrade request with (its headers changed by `change`; undefined removes one), when it does not switch protocols. */
function upgradeAnswer(url: string, change: Record<string, string | undefined> = {}): Promise<{ status: number; json: boolean; codes: string[]; headers: Record<string, unknown> }> {
  const { method = 'GET', ...changed } = change;
  const headers: Record<string, string> = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13', 'sec-websocket-protocol': 'graphql-transport-ws' };
  for (const [name, value] of Object.entries(changed)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers });
    req.once('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was taken'));
    });
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => {
        const json = /^application\/json/.test(res.headers['content-type'] ?? '');
        const codes = json ? ((JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((error) => error.extensions?.code ?? '') : [];
        resolve({ status: res.statusCode ?? 0, json, codes, headers: res.headers });
      });
    });
    req.once('error', reject);
    req.end();
  });
}
