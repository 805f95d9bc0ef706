import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_MAX_ATTEMPTS } from '../subgraphs/payments/worker.ts';
import { serviceClients } from '../pipeline/services.ts';
import { PaymentsStore } from '../subgraphs/payments/store.ts';
import { startPaymentsWorker } from '../subgraphs/payments/worker.ts';
import { codes, gql, serviceToken, silentLogger, testCredentials, TestDatabases } from './harness.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';

// Payments is a reusable service: any caller can charge through it and choose how to
// get the result. These tests call it as an outside requester would.

const dbs = new TestDatabases();
let system: RunningSystem;
/**
 * The requesters' callback endpoints, listening for the whole file so that no other
 * process can take their ports; their addresses are allow-listed when payments starts
 * (PAYMENTS_CALLBACK_ALLOWLIST).
 */
let endpoints: CallbackEndpoint[];
let callbackPorts: number[];

beforeAll(async () => {
  endpoints = await Promise.all([0, 1, 2, 3].map(() => callbackEndpoint()));
  callbackPorts = endpoints.map((endpoint) => endpoint.port);
  system = await startSystem(dbs, {
    workers: [],
    paymentsQueue: { visibilityTimeoutMs: 300 },
    callbackAllowList: [...callbackPorts.map((port) => `http://127.0.0.1:${port}/`), `http://${hostname()}:${callbackPorts[3]}/hooks/`],
  });
});
afterAll(async () => {
  await system?.close();
  await Promise.all((endpoints ?? []).map((endpoint) => endpoint.close()));
  await dbs.cleanup();
});

const visa = { token: 'tok_test_visa', last4: '4242', expMonth: 12, expYear: 2031 };
const amount = { amount: 1250, currency: 'GBP' };
let counter = 0;
const newId = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

const requestCharge = `mutation($input: ChargeRequestInput!) { requestCharge(input: $input) { id status } }`;
const pollCharge = `query($id: ID!) { chargeRequest(id: $id) { status attempts charge { outcome declineReason amount { amount } } deliveries { target delivered abandoned attempts lastError } } }`;
const poll = async (id: string) => (await gql(system.urls.payments, pollCharge, { id })).data!.chargeRequest;
/** The delivery of the result to the requester (the outbox also records a transition for tracking). */
const toRequester = (request: { deliveries: { target: string }[] }) => request.deliveries.find((d) => d.target !== 'tracking') as any;

/** What a requester's endpoint does with a callback: drop the connection, keep the body, or redirect. */
type Behaviour = 'down' | 'collect' | { redirectTo: string };
type CallbackEndpoint = Awaited<ReturnType<typeof callbackEndpoint>>;

async function callbackEndpoint() {
  const bodies: Record<string, unknown>[] = [];
  let behaviour: Behaviour = 'down';
  const server: Server = createServer((req: IncomingMessage, res) => {
    if (behaviour === 'down') return void req.socket.destroy();
    if (typeof behaviour === 'object') {
      req.resume();
      return void res.writeHead(302, { location: behaviour.redirectTo }).end();
    }
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      bodies.push(JSON.parse(raw));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bodies,
    /** Changes what the endpoint does from now on; `down` also forgets what it kept. */
    become(next: Behaviour) {
      behaviour = next;
      if (next === 'down') bodies.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('payments: synchronous authorisation', () => {
  it('answers at once, approving or declining by the processor rules, and rejects bad input', async () => {
    const authorize = `mutation($card: PaymentCardInput!) { authorize(input: { amount: { amount: 100, currency: "GBP" }, card: $card }) { approved declineReason } }`;
    expect((await gql(system.urls.payments, authorize, { card: visa })).data!.authorize).toEqual({ approved: true, declineReason: null });
    expect((await gql(system.urls.payments, authorize, { card: { ...visa, last4: '0002' } })).data!.authorize).toEqual({ approved: false, declineReason: 'card_declined' });
    expect((await gql(system.urls.payments, authorize, { card: { ...visa, expYear: 2020 } })).data!.authorize).toEqual({ approved: false, declineReason: 'expired_card' });
    expect(codes(await gql(system.urls.payments, authorize, { card: { ...visa, last4: '42' } }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(system.urls.payments, authorize, { card: { ...visa, expYear: 99_999 } }))).toEqual(['BAD_USER_INPUT']);
    // Three letters are not a currency: "no currency" (XXX) and made-up codes are refused, as the catalog refuses them in prices.
    const inCurrency = `mutation($card: PaymentCardInput!, $currency: String!) { authorize(input: { amount: { amount: 100, currency: $currency }, card: $card }) { approved } }`;
    for (const currency of ['XXX', 'QQQ', 'XTS']) expect(codes(await gql(system.urls.payments, inCurrency, { card: visa, currency }))).toEqual(['BAD_USER_INPUT']);
    expect((await gql(system.urls.payments, inCurrency, { card: visa, currency: 'eur' })).data!.authorize).toEqual({ approved: true });
  });
});

describe('payments: asynchronous charge requests', () => {
  it('polling: answers QUEUED at once with the request id, and COMPLETED with the charge once a worker has run', async () => {
    const id = newId('poll');
    const accepted = await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa } });
    expect(accepted.data!.requestCharge).toEqual({ id, status: 'QUEUED' });
    system.addWorker('payments');
    try {
      const done = await eventually(() => poll(id), (r) => r.status === 'COMPLETED');
      expect(done.charge).toEqual({ outcome: 'APPROVED', declineReason: null, amount: { amount: 1250 } });
      // Asking again with the same id charges nothing more.
      const again = await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa } });
      expect(again.data!.requestCharge.status).toBe('COMPLETED');
      expect(await system.services.payments.store.charges.countDocuments({ _id: id })).toBe(1);
      // The same id for another amount is another request: refused, not answered with the first's charge.
      const other = await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount: { ...amount, amount: amount.amount + 1 }, card: visa } });
      expect(codes(other)).toEqual(['CONFLICT']);
      expect(await system.services.payments.store.charges.countDocuments({ _id: id })).toBe(1);
    } finally {
      await system.stopWorkers('payments');
    }
  });

  it('callback: an address written another way (upper case, spaces around it) is called back as the URL it is', async () => {
    const target = endpoints[2]!;
    const id = newId('written');
    const written = ` HTTP://127.0.0.1:${target.port}/charged `;
    const res = await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa, callbackUrl: written } });
    expect(res.errors).toBeUndefined();
    // The same request again, written the same way, is the same request.
    expect((await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa, callbackUrl: written } })).errors).toBeUndefined();
    target.become('collect');
    system.addWorker('payments');
    try {
      const sent = await eventually(() => poll(id), (r) => toRequester(r)?.delivered === true);
      expect(toRequester(sent).target).toBe(`http://127.0.0.1:${target.port}/charged`);
      expect(target.bodies).toEqual([expect.objectContaining({ requestId: id, outcome: 'APPROVED' })]);
    } finally {
      await system.stopWorkers('payments');
      target.become('down');
    }
  });

  it('callback: posts the result to the address the requester gave, retrying while it is down', async () => {
    const port = endpoints[0]!.port;
    const id = newId('callback');
    await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: { ...visa, last4: '9995' }, callbackUrl: `http://127.0.0.1:${port}/charged` } });
    system.addWorker('payments');
    try {
      const failing = await eventually(() => poll(id), (r) => r.status === 'COMPLETED' && toRequester(r)?.attempts >= 1);
      expect(toRequester(failing)).toMatchObject({ delivered: false, abandoned: false, lastError: expect.stringMatching(/callback failed/) });
      const target = endpoints[0]!;
      target.become('collect');
      try {
        await eventually(() => poll(id), (r) => toRequester(r)?.delivered === true, 15_000);
        expect(target.bodies).toEqual([expect.objectContaining({ requestId: id, outcome: 'DECLINED', declineReason: 'insufficient_funds' })]);
      } finally {
        target.become('down');
      }
    } finally {
      await system.stopWorkers('payments');
    }
  });

  it('callback: gives up on a requester that stays gone, and the result can still be polled', async () => {
    const id = newId('gone');
    await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa, callbackUrl: `http://127.0.0.1:${callbackPorts[1]}/gone` } });
    system.addWorker('payments');
    try {
      const abandoned = await eventually(() => poll(id), (r) => toRequester(r)?.abandoned === true, 20_000);
      expect(toRequester(abandoned)).toMatchObject({ delivered: false, attempts: CALLBACK_MAX_ATTEMPTS });
      expect(abandoned.charge.outcome).toBe('APPROVED');
    } finally {
      await system.stopWorkers('payments');
    }
  }, 30_000);

  it('reply queue: publishes the result to the persistent queue the requester named, even if the requester was down', async () => {
    const id = newId('reply');
    const orderId = '64b0000000000000000000aa';
    await system.stop('orders');
    try {
      const asOrders = { token: await serviceToken('orders') };
      expect((await gql(system.urls.payments, requestCharge, { input: { requestId: id, orderId, amount, card: visa, replyTo: 'orders.charge-results' } }, asOrders)).errors).toBeUndefined();
      system.addWorker('payments');
      await eventually(() => poll(id), (r) => r.status === 'COMPLETED' && toRequester(r)?.attempts >= 1);
      expect(await system.ordersStore.chargeResults.get(`result:${id}`)).toBeNull();
    } finally {
      await system.restart('orders');
    }
    try {
      await eventually(() => poll(id), (r) => toRequester(r)?.delivered === true, 15_000);
      const reply = await system.ordersStore.chargeResults.get(`result:${id}`);
      expect(reply?.payload).toMatchObject({ requestId: id, orderId, outcome: 'APPROVED' });
    } finally {
      await system.stopWorkers('payments');
    }
  });

  it("refuses a reply queue or an order's charge id named by anyone but the service they belong to, and writes nothing", async () => {
    // A result in orders' queue moves an order on: a person who could name it could charge a penny
    // to a card of their own and have the order ship; a request under orders' own next id would
    // make orders' request a CONFLICT and leave the order in CHARGING.
    const orderId = '64b0000000000000000000ab';
    const attempts = [
      { via: system.gatewayUrl, token: undefined, input: { requestId: newId('forged'), orderId, replyTo: 'orders.charge-results' } },
      { via: system.urls.payments, token: undefined, input: { requestId: newId('forged'), orderId, replyTo: 'orders.charge-results' } },
      { via: system.urls.payments, token: await serviceToken('shipping'), input: { requestId: newId('forged'), orderId, replyTo: 'orders.charge-results' } },
      { via: system.gatewayUrl, token: undefined, input: { requestId: `${orderId}:charge:2`, orderId } },
      { via: system.urls.payments, token: await serviceToken('exceptions'), input: { requestId: `${orderId}:charge:3`, orderId } },
      // What only starts like one of orders' ids: a person's charge under it was read as the order's own.
      ...[`${orderId}:charge:3 `, `${orderId}:charge:+2`, `${orderId}:charge:\uFF12`, `${orderId}:charge:`, `${orderId.toUpperCase()}:charge:2`, ` ${orderId}:charge:2`, `${orderId} : charge : 2`].map((requestId) => ({
        via: system.gatewayUrl,
        token: undefined,
        input: { requestId, orderId },
      })),
    ];
    for (const { via, token, input } of attempts) {
      const res = await gql(via, requestCharge, { input: { ...input, amount: { amount: 1, currency: 'GBP' }, card: visa } }, { token });
      expect(codes(res), JSON.stringify(input)).toEqual(['FORBIDDEN']);
      expect(await system.services.payments.store.requests.get(input.requestId)).toBeNull();
    }
    // Orders itself, and anyone with an id of their own and no queue, still may.
    const asOrders = { token: await serviceToken('orders') };
    const allowed = [`${orderId}:charge:2`, newId('support')];
    expect((await gql(system.urls.payments, requestCharge, { input: { requestId: allowed[0], orderId, amount, card: visa, replyTo: 'orders.charge-results' } }, asOrders)).errors).toBeUndefined();
    expect((await gql(system.gatewayUrl, requestCharge, { input: { requestId: allowed[1], orderId, amount, card: visa } })).errors).toBeUndefined();
    // Not left for the next test's worker to take.
    for (const id of allowed) expect(await system.services.payments.store.requests.cancel(id)).toMatchObject({ status: 'CANCELLED' });
  });

  it('rejects a reply queue that is not "<service>.<queue>" of one of its services, and writes nothing', async () => {
    // A made-up service would have become a metrics label of its own, one per name.
    for (const replyTo of ['nowhere', `nowhere${'x'.repeat(50)}.charge-results`, 'abc.charge-results']) {
      const id = newId('bad');
      const res = await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa, replyTo } });
      expect(codes(res), replyTo).toEqual(['BAD_USER_INPUT']);
      expect(await system.services.payments.store.requests.get(id)).toBeNull();
    }
  });
});

describe('payments: workers', () => {
  it('a worker killed mid-lease: the request is delivered again after the lease expires, and charged once', async () => {
    const { store, processor } = system.services.payments;
    const id = newId('killed');
    await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa } });
    // A worker leases the request and charges the card, then dies before completing.
    const [lease] = await store.requests.lease('worker-that-dies', 1);
    expect(lease!.id).toBe(id);
    await processor.charge(id, null, visa, amount);
    system.addWorker('payments');
    try {
      const done = await eventually(() => poll(id), (r) => r.status === 'COMPLETED');
      expect(done.attempts).toBeGreaterThanOrEqual(2); // the dead worker's attempt, then ours
      expect(await store.charges.countDocuments({ _id: id })).toBe(1);
      expect(await store.requests.complete(lease!)).toBe(false); // the dead worker's lease is void
    } finally {
      await system.stopWorkers('payments');
    }
  });

  it('two workers on the charging stage: every request is charged and completed exactly once', async () => {
    const ids = Array.from({ length: 24 }, () => newId('pair'));
    await Promise.all(ids.map((requestId) => gql(system.urls.payments, requestCharge, { input: { requestId, amount, card: visa } })));
    // Two worker processes' worth of workers, on the stage's own database, with a lease
    // long enough that no lease expires: any second attempt would mean two workers
    // worked on one request at once.
    const { store: shortLeases, processor } = system.services.payments;
    const store = new PaymentsStore(shortLeases.requests.items.db, { visibilityTimeoutMs: 30_000 });
    const clients = serviceClients(testCredentials('payments'), system.urls);
    const workers = [startPaymentsWorker(store, processor, clients, silentLogger), startPaymentsWorker(store, processor, clients, silentLogger)];
    try {
      for (const id of ids) await eventually(() => poll(id), (r) => r.status === 'COMPLETED');
      for (const id of ids) {
        expect((await poll(id)).attempts).toBe(1);
        expect(await store.charges.countDocuments({ _id: id })).toBe(1);
      }
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await clients.close();
    }
  });

  describe('callbacks go only where the allow-list says (server-side request forgery)', () => {
    const refusedTargets = [
      ['another service of the system', 'http://127.0.0.1:4005/graphql'],
      ['cloud metadata (link-local)', 'http://169.254.169.254/latest/meta-data/'],
      ['a private network address', 'http://10.0.0.7/hook'],
      ['IPv6 loopback', 'http://[::1]:4006/graphql'],
      ['a local file', 'file:///etc/passwd'],
      ['an allow-listed address with credentials in it', () => `http://user:secret@127.0.0.1:${callbackPorts[0]}/charged`],
      ['an allow-listed host on another port', () => `http://127.0.0.1:${callbackPorts[0]! + 1}/charged`],
    ] as const;
    for (const [what, target] of refusedTargets) {
      it(`refuses ${what} when the charge is requested, and writes nothing`, async () => {
        const id = newId('ssrf');
        const callbackUrl = typeof target === 'function' ? target() : target;
        const res = await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa, callbackUrl } });
        expect(codes(res)).toEqual(['BAD_USER_INPUT']);
        expect(res.errors![0]!.extensions!.field).toBe('callbackUrl');
        expect(await poll(id)).toBeNull();
      });
    }

    it('does not follow a redirect from an allow-listed address to somewhere else', async () => {
      const id = newId('redirect');
      const [, redirecting, elsewhere] = endpoints as [CallbackEndpoint, CallbackEndpoint, CallbackEndpoint];
      elsewhere.become('collect');
      redirecting.become({ redirectTo: `http://127.0.0.1:${elsewhere.port}/stolen` });
      await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa, callbackUrl: `http://127.0.0.1:${callbackPorts[1]}/charged` } });
      system.addWorker('payments');
      try {
        const refused = await eventually(() => poll(id), (r) => toRequester(r)?.attempts >= 1);
        expect(toRequester(refused).lastError).toMatch(/redirect \(HTTP 302\), which is not followed/);
        expect(elsewhere.bodies).toEqual([]);
      } finally {
        await system.stopWorkers('payments');
        redirecting.become('down');
        elsewhere.become('down');
      }
    });

    it('refuses to connect when an allow-listed name resolves to an internal address', async () => {
      const resolved = await lookup(hostname()).catch(() => undefined);
      if (!resolved || !/^127\.|^::1$/.test(resolved.address)) return; // this machine's name is not a loopback alias
      const id = newId('rebind');
      const target = endpoints[3]!;
      target.become('collect');
      await gql(system.urls.payments, requestCharge, { input: { requestId: id, amount, card: visa, callbackUrl: `http://${hostname()}:${callbackPorts[3]}/hooks/charged` } });
      system.addWorker('payments');
      try {
        const refused = await eventually(() => poll(id), (r) => toRequester(r)?.attempts >= 1);
        expect(toRequester(refused).lastError).toMatch(/internal address that is not allow-listed/);
        expect(target.bodies).toEqual([]);
      } finally {
        await system.stopWorkers('payments');
        target.become('down');
      }
    });
  });
});
