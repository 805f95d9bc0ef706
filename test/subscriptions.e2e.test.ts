import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCursors } from '../subgraphs/tracking/cursors.ts';
import { gql, operator, TestDatabases, testTokens, userToken } from './harness.ts';
import { collect, wsClient } from './subscriber.ts';
import { eventually, placeOrder, startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
/** Opens the cursors the tracking service seals, as every tracking process can (the test secret's key). */
const cursors = eventCursors(testTokens);
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(dbs);
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const place = (lines: { sku: string; quantity: number }[]) => placeOrder(system.gatewayUrl, lines);

const followOrder = `subscription($orderId: ID!, $after: String) {
  orderTransitions(orderId: $orderId, after: $after) {
    cursor
    transition { id elementType from to node }
    order { id status customer { name } }
    shipment { id carrier trackingNumber }
  }
}`;
type OrderEvent = {
  orderTransitions: {
    cursor: string;
    transition: { id: string; elementType: string; from: string | null; to: string; node: string };
    order: { id: string; status: string; customer: { name: string } | null } | null;
    shipment: { id: string; carrier: string; trackingNumber: string } | null;
  };
};
const historyOf = async (id: string) =>
  (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { id to } } }`, { id })).data!.order.history as { id: string; to: string }[];
/** The order's own SHIPPED: every shipment has left (each shipment's SHIPPED comes on its own). */
const shipped = (events: OrderEvent[]) => events.some((e) => e.orderTransitions.transition.elementType === 'ORDER' && e.orderTransitions.transition.to === 'SHIPPED');

/** A well-formed order id no order has. */
const quietOrderId = (c: number, i: number) => `ffff${String(c).padStart(10, '0')}${String(i).padStart(10, '0')}`;

describe('subscriptions at the gateway', () => {
  it('refuses a malformed order id, a cursor from the future, an unknown stage and an unknown state with BAD_USER_INPUT instead of waiting forever', async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const cases = [
        { orderId: 'zzz', after: null },
        { orderId: quietOrderId(9, 9), after: cursors.seal(99_999_999_999) },
        { orderId: quietOrderId(9, 9), after: '99999999999' }, // not a cursor tracking gave out
      ];
      for (const variables of cases) {
        const sub = collect(client, `subscription($orderId: ID!, $after: String) { orderTransitions(orderId: $orderId, after: $after) { cursor } }`, variables);
        await sub.until((c) => c.results.length > 0 || c.error !== undefined || c.completed, 5_000);
        const errors = (sub.results[0]?.errors ?? (Array.isArray(sub.error) ? sub.error : [])) as { extensions?: { code?: string } }[];
        expect(errors.map((e) => e.extensions?.code), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
        sub.stop();
      }
      for (const filter of ['stage: "nowhere"', 'state: "SHIPED"', 'stage: ""', 'state: ""', `state: "${'S'.repeat(2_000)}"`]) {
        const nowhere = collect(client, `subscription { pipelineTransitions(${filter}) { cursor } }`);
        await nowhere.until((c) => c.results.length > 0 || c.error !== undefined || c.completed, 5_000);
        expect(nowhere.results[0]?.errors?.map((e) => e.extensions?.code), filter.slice(0, 20)).toEqual(['BAD_USER_INPUT']);
        expect(nowhere.results[0]?.errors?.[0]?.extensions, filter.slice(0, 20)).toMatchObject({ field: filter.split(':')[0] });
        // What it may be comes first: a long name is cut off, not the list.
        expect(nowhere.results[0]?.errors?.[0]?.message, filter.slice(0, 20)).toMatch(filter.startsWith('stage') ? /^stages are customers, .*tracking; none is named/ : /^elements enter the states PLACED, .*REFUND_FAILED; none is named/);
        nowhere.stop();
      }
    } finally {
      await client.dispose();
    }
  });

  it('delivers every transition of a journey in order, with fields composed from other subgraphs', async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
      // From the start of the log: what was recorded before subscribing comes first, then live events.
      const sub = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await sub.until((c) => shipped(c.events));
      const events = sub.events.map((e) => e.orderTransitions);
      const history = await historyOf(id);
      expect(events.map((e) => e.transition.id).sort()).toEqual(history.map((t) => t.id).sort());
      // In the log's order; the cursors themselves are sealed, and tell a client nothing of how many events there are.
      const seqs = events.map((e) => cursors.open(e.cursor)!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(events.every((e) => /^[\w-]{22}$/.test(e.cursor))).toBe(true);
      expect(events.every((e) => e.order?.id === id && e.order.customer?.name === 'Ada Lovelace')).toBe(true);
      const left = events.find((e) => e.transition.elementType === 'SHIPMENT' && e.transition.to === 'SHIPPED')!;
      expect(left.transition).toMatchObject({ from: 'SHIPPING', node: 'shipping' });
      expect(left.shipment?.trackingNumber).toMatch(/\w{6,}/);
      expect(events.at(-1)!.transition).toMatchObject({ elementType: 'ORDER', from: 'SHIPPING', to: 'SHIPPED', node: 'orders' });
      expect(events.filter((e) => e.transition.elementType === 'ORDER').every((e) => e.shipment === null)).toBe(true);
      sub.stop();
    } finally {
      await client.dispose();
    }
  });

  it('resumes from the last cursor after a disconnect without losing or repeating anything', async () => {
    await system.stopWorkers('shipping');
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
    const first = wsClient(system.gatewayUrl);
    const before = collect<OrderEvent>(first, followOrder, { orderId: id, after: '0' });
    await before.until((c) => c.events.some((e) => e.orderTransitions.transition.to === 'SHIPPING'));
    await first.dispose(); // the connection drops; the journey goes on without it
    system.addWorker('shipping');
    await eventually(() => historyOf(id), (h) => h.some((t) => t.id.startsWith('ORDER:') && t.to === 'SHIPPED'), 20_000);

    const second = wsClient(system.gatewayUrl);
    try {
      const lastCursor = before.events.at(-1)!.orderTransitions.cursor;
      const after = collect<OrderEvent>(second, followOrder, { orderId: id, after: lastCursor });
      await after.until((c) => shipped(c.events));
      const ids = [...before.events, ...after.events].map((e) => e.orderTransitions.transition.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual((await historyOf(id)).map((t) => t.id).sort());
      after.stop();
    } finally {
      await second.dispose();
    }
  });

  it('follows on from a history read (its historyCursor) without a gap', async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
    // Read while the order is moving: some transitions are being recorded as the history is read.
    const read = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { id } historyCursor } }`, { id })).data!.order;
    const client = wsClient(system.gatewayUrl);
    try {
      const live = collect<OrderEvent>(client, followOrder, { orderId: id, after: read.historyCursor });
      const shown = () => new Set([...read.history.map((t: { id: string }) => t.id), ...live.events.map((e) => e.orderTransitions.transition.id)]);
      // 8 transitions of the order, its charge and its shipment, and the order's own 2 after picking.
      await live.until(() => shown().size === 10);
      expect([...shown()].sort()).toEqual((await historyOf(id)).map((t) => t.id).sort());
      live.stop();
    } finally {
      await client.dispose();
    }
  });

  it('gives a subscriber resuming from a cursor everything after it, even when an identical subscription is under way', async () => {
    const id = await place([{ sku: 'BOOK-002', quantity: 1 }]);
    const client = wsClient(system.gatewayUrl);
    try {
      const first = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await first.until((c) => shipped(c.events));
      const late = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await late.until((c) => c.events.length === first.events.length);
      expect(late.events.map((e) => cursors.open(e.orderTransitions.cursor))).toEqual(first.events.map((e) => cursors.open(e.orderTransitions.cursor)));
      // The same, written inside a fragment: still a resume, not the live stream under way.
      const inFragment = followOrder.replace(/\{\s*orderTransitions/, '{ ... on Subscription { orderTransitions').replace(/\}\s*$/, '} }');
      const wrapped = [];
      for (let i = 0; i < 2; i++) {
        const sub = collect<OrderEvent>(client, inFragment, { orderId: id, after: '0' });
        await sub.until((c) => c.events.length === first.events.length);
        expect(sub.events.map((e) => cursors.open(e.orderTransitions.cursor))).toEqual(first.events.map((e) => cursors.open(e.orderTransitions.cursor)));
        wrapped.push(sub);
      }
      for (const sub of wrapped) sub.stop();
      first.stop();
      late.stop();
    } finally {
      await client.dispose();
    }
  });

  it('lets one caller resume at most 20 subscriptions from a cursor at once, over all its connections', async () => {
    // Each resumes on a stream of its own, replaying the log: a bound per caller, not per connection.
    const clients = [wsClient(system.gatewayUrl), wsClient(system.gatewayUrl)];
    try {
      const resume = (client: (typeof clients)[number], i: number) => collect(client, followOrder, { orderId: quietOrderId(7, i), after: '0' });
      const first = Array.from({ length: 20 }, (_, i) => resume(clients[i % 2]!, i));
      await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n >= 20, 5_000);
      const refused = resume(clients[1]!, 20);
      await refused.until((c) => c.results.length > 0 || c.error !== undefined || c.completed, 5_000);
      expect(refused.results[0]?.errors?.map((e) => e.extensions?.code)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
      expect(first.filter((sub) => sub.completed || sub.error !== undefined)).toEqual([]);
      // One ended makes room for another.
      first[0]!.stop();
      await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n === 19, 5_000);
      const next = resume(clients[0]!, 21);
      await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n === 20, 5_000);
      expect(next.results.flatMap((r) => r.errors ?? [])).toEqual([]);
      for (const sub of [...first, next]) sub.stop();
    } finally {
      for (const client of clients) await client.dispose();
    }
  });

  it('lets one caller hold at most 100 subscriptions at once, over all its connections; spacing and comments do not make a stream of their own', async () => {
    const [mallory, other] = await Promise.all(['mallory', 'other'].map((sub) => userToken({ roles: ['support'], sub })));
    const clients = [0, 1, 2].map(() => wsClient(system.gatewayUrl, { authorization: `Bearer ${mallory}` }));
    const bystander = wsClient(system.gatewayUrl, { authorization: `Bearer ${other}` });
    try {
      const streamsBefore = await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n === 0, 5_000);
      // The same subscription, told apart only by a comment each.
      const subscribe = (client: (typeof clients)[number], i: number) => collect(client, `subscription { # ${i}\n pipelineTransitions(stage: "picking") { cursor } }`);
      const held = Array.from({ length: 100 }, (_, i) => subscribe(clients[i % 3]!, i));
      await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n === streamsBefore + 1, 5_000);
      // The shared stream opens with the first of them: wait until all 100 are counted, or the
      // 101st may overtake some and be taken in their place (a refusal then lands on one of those).
      await eventually(async () => system.gateway.subscriptions.openOf('subject:mallory'), (n) => n === 100, 10_000);
      const refused = subscribe(clients[2]!, 100);
      await refused.until((c) => c.results.length > 0 || c.error !== undefined || c.completed, 5_000);
      expect(refused.results[0]?.errors?.map((e) => e.extensions?.code)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
      // Another caller is not held back by this one's subscriptions.
      const theirs = collect(bystander, `subscription { pipelineTransitions(stage: "shipping") { cursor } }`);
      await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n === streamsBefore + 2, 5_000);
      expect(theirs.results).toEqual([]);
      // One ended, or a connection closed, makes room again.
      held[0]!.stop();
      await clients[1]!.dispose();
      await eventually(async () => system.gateway.subscriptions.openOf('subject:mallory'), (n) => n === 100 - 1 - 33, 5_000);
      const again = Array.from({ length: 30 }, (_, i) => subscribe(clients[0]!, 200 + i));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(again.flatMap((sub) => sub.results.flatMap((r) => r.errors ?? []))).toEqual([]);
      expect(held.filter((sub, i) => i % 3 !== 1 && i !== 0 && (sub.completed || sub.error !== undefined))).toEqual([]);
      for (const sub of [...held, ...again, theirs]) sub.stop();
    } finally {
      for (const client of [...clients, bystander]) await client.dispose();
    }
  });

  it('carries more subscriptions to tracking than one client connection may hold (the gateway multiplexes them)', async () => {
    // Three callers (one caller may hold 100 at once, over all its connections).
    const callers = await Promise.all([1, 2, 3].map((n) => userToken({ roles: ['support'], sub: `multiplexed-${n}` })));
    const clients = callers.map((token) => wsClient(system.gatewayUrl, { authorization: `Bearer ${token}` }));
    try {
      const subs = clients.flatMap((client, c) =>
        Array.from({ length: 50 }, (_, i) => collect(client, `subscription($id: ID!) { orderTransitions(orderId: $id) { cursor } }`, { id: quietOrderId(c, i) })),
      );
      await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n >= 150, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(subs.filter((sub) => sub.completed || sub.error !== undefined || sub.results.length > 0)).toEqual([]);
      for (const sub of subs) sub.stop();
    } finally {
      for (const client of clients) await client.dispose();
    }
  });

  it('shares one upstream stream between identical subscriptions, and filters the pipeline by stage and state', async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const shippedQuery = `subscription { pipelineTransitions(state: "SHIPPED", elementType: ORDER) { transition { elementId to } order { id status } } }`;
      const pickingQuery = `subscription { pipelineTransitions(stage: "picking") { transition { node } } }`;
      // Earlier tests' streams close as soon as the gateway hears their clients left.
      const streamsBefore = await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n === 0, 5_000);
      const same = [collect(client, shippedQuery), collect(client, shippedQuery), collect(client, shippedQuery)];
      const picking = collect(client, pickingQuery);
      await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n === streamsBefore + 2, 5_000);
      const id = await place([{ sku: 'MUG-001', quantity: 1 }, { sku: 'BOOK-002', quantity: 1 }]);
      for (const sub of same) await sub.until((c) => c.events.some((e: any) => e.pipelineTransitions.order?.id === id));
      await picking.until((c) => c.events.length > 0);
      for (const sub of same) {
        const mine = sub.events.filter((e: any) => e.pipelineTransitions.order?.id === id);
        expect(mine).toHaveLength(1);
        expect(mine[0]!.pipelineTransitions.transition.to).toBe('SHIPPED');
      }
      expect(picking.events.every((e: any) => e.pipelineTransitions.transition.node === 'picking')).toBe(true);
      for (const sub of [...same, picking]) sub.stop();
      await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n === streamsBefore, 5_000);
    } finally {
      await client.dispose();
    }
  });

  it('delivers each event once to subscribers of each of two gateways', async () => {
    const second = await system.startGateway();
    const clients = [wsClient(system.gatewayUrl), wsClient(second.url)];
    try {
      const query = `subscription { pipelineTransitions(state: "SHIPPED", elementType: SHIPMENT) { cursor transition { elementId } order { id } } }`;
      const subs = clients.map((client) => collect(client, query));
      await eventually(async () => second.gateway.subscriptions.openStreams, (n) => n === 1, 5_000);
      const ids = [await place([{ sku: 'MUG-001', quantity: 1 }]), await place([{ sku: 'LAMP-001', quantity: 1 }])];
      for (const sub of subs) {
        await sub.until((c) => ids.every((id) => c.events.some((e: any) => e.pipelineTransitions.order?.id === id)));
        const mine = sub.events.filter((e: any) => ids.includes(e.pipelineTransitions.order?.id));
        expect(mine).toHaveLength(2);
      }
      expect(subs[0]!.events.map((e: any) => cursors.open(e.pipelineTransitions.cursor))).toEqual(subs[1]!.events.map((e: any) => cursors.open(e.pipelineTransitions.cursor)));
      for (const sub of subs) sub.stop();
    } finally {
      for (const client of clients) await client.dispose();
      await second.close();
    }
  });

  it('ends subscriptions with DEPENDENCY_UNAVAILABLE while tracking is down, and a resume loses nothing', async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
      const before = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await before.until((c) => c.events.length > 0);
      await system.stop('tracking');
      await before.until((c) => c.completed);
      expect(before.results.at(-1)!.errors?.[0]?.extensions?.code).toBe('DEPENDENCY_UNAVAILABLE');
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // the journey goes on; transitions wait in outboxes
      await system.restart('tracking');
      const lastCursor = before.events.at(-1)!.orderTransitions.cursor;
      const after = collect<OrderEvent>(client, followOrder, { orderId: id, after: lastCursor });
      // Transitions made while tracking was down arrive as each node's outbox retries (with backoff).
      // The whole journey, once the order's own SHIPPED (its last transition) is recorded. Another
      // stage's transition, retried from its outbox, can still be recorded after SHIPPED: the
      // history is read again until the subscription has received exactly what it holds (a
      // duplicate or a missing transition never gets there, and the wait fails showing both).
      const received = () => [...before.events, ...after.events].map((e) => e.orderTransitions.transition.id).sort();
      const { history, ids } = await eventually(
        async () => ({ history: (await historyOf(id)).map((t) => t.id).sort(), ids: received() }),
        ({ history, ids }) => history.includes(`ORDER:${id}:SHIPPING>SHIPPED`) && JSON.stringify(ids) === JSON.stringify(history),
        20_000,
      );
      expect(after.error).toBeUndefined();
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(history);
      after.stop();
    } finally {
      await client.dispose();
    }
  });

  it("reads the order's history for each event, not once for the whole subscription", async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
      type Event = { orderTransitions: { cursor: string; transition: { id: string; elementType: string; to: string }; order: { historyCursor: string; history: { id: string }[] } } };
      const live = collect<Event>(
        client,
        `subscription($orderId: ID!) { orderTransitions(orderId: $orderId, after: "0") { cursor transition { id elementType to } order { historyCursor history { id } } } }`,
        { orderId: id },
      );
      await live.until((c) => c.events.some((e) => e.orderTransitions.transition.elementType === 'ORDER' && e.orderTransitions.transition.to === 'SHIPPED'), 30_000);
      live.stop();
      // Each event's order knows the transition the event is about, and its history goes at least that far.
      for (const { orderTransitions: event } of live.events) {
        expect(event.order.history.map((t) => t.id), event.transition.id).toContain(event.transition.id);
        expect(cursors.open(event.order.historyCursor)).toBeGreaterThanOrEqual(cursors.open(event.cursor)!);
      }
    } finally {
      await client.dispose();
    }
  });

  it('goes on delivering events while a subgraph that adds fields to them hangs: their fields from it are errors with paths', async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
    await eventually(() => historyOf(id), (history) => history.some((t) => t.id === `ORDER:${id}:SHIPPING>SHIPPED`), 30_000);
    // A subgraph fetch may wait 10 s here; each event gets at most 1 s.
    const gateway = await system.startGateway({ limits: { subscriptionEventTimeoutMs: 1_000 } });
    const endHang = await system.hang('customers');
    const client = wsClient(gateway.url);
    try {
      const sub = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await sub.until((c) => shipped(c.events), 9_000);
      sub.stop();
      const events = sub.results.map((result) => result.data!.orderTransitions);
      expect(events.length).toBeGreaterThanOrEqual(8);
      expect(events.every((e) => e.order?.id === id && e.order.status === 'SHIPPED' && e.order.customer === null)).toBe(true);
      const errors = sub.results.map((result) => result.errors ?? []);
      expect(errors.every((each) => each.length === 1 && each[0]!.extensions?.code === 'DEPENDENCY_UNAVAILABLE' && each[0]!.extensions.serviceName === 'customers')).toBe(true);
      expect(errors.map((each) => each[0]!.path)).toEqual(errors.map(() => ['orderTransitions', 'order', 'customer', 'name']));
      // Events composed before the first timeout waited for customers; the events after it did not ask.
      const messages = errors.map((each) => each[0]!.message);
      expect(messages[0]).toMatch(/customers service is unavailable/);
      expect(messages.at(-1)).toMatch(/customers service did not answer an earlier fetch of this operation, so it was not asked again/);
    } finally {
      await client.dispose();
      await endHang();
      await system.restart('customers');
      await gateway.close();
    }
  });

  it('serves the same subscriptions over server-sent events, as GraphiQL uses them', async () => {
    const abort = new AbortController();
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await operator()}` },
      body: JSON.stringify({ query: `subscription { pipelineTransitions(state: "SHIPPED") { transition { to } order { id customer { name } } } }` }),
      signal: abort.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    // The stream is open once the gateway has subscribed upstream.
    await eventually(async () => system.gateway.subscriptions.openStreams, (n) => n >= 1, 5_000);
    const id = await place([{ sku: 'LAMP-001', quantity: 1 }]);
    let text = '';
    const decoder = new TextDecoder();
    const deadline = Date.now() + 20_000;
    while (!text.includes(id) && Date.now() < deadline) text += decoder.decode((await reader.read()).value);
    abort.abort();
    const event = text.split('\n').find((line) => line.startsWith('data:') && line.includes(id))!;
    expect(JSON.parse(event.slice(5))).toEqual({ data: { pipelineTransitions: { transition: { to: 'SHIPPED' }, order: { id, customer: { name: 'Ada Lovelace' } } } } });
  });
});

describe('the order\'s own transitions', () => {
  const orderMoves = (events: OrderEvent[]) => events.map((e) => e.orderTransitions.transition).filter((t) => t.elementType === 'ORDER');
  const whereIs = async (id: string) =>
    (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status location { state node } history { elementType from to node detail } exceptions { id } } }`, { id })).data!.order;

  /**
   * The order's moves from picking on that came before the shipment moves behind them (an order
   * follows its slowest shipment): to REBIN or SHIPPING once both shipments left picking,
   * PARTLY_SHIPPED once one shipped, SHIPPED once both did.
   */
  const causesFirst = (transitions: { elementType: string; elementId?: string; id: string; from: string | null; to: string }[]) =>
    transitions.flatMap((t, i) => {
      if (t.elementType !== 'ORDER' || !['REBIN', 'SHIPPING', 'PARTLY_SHIPPED', 'SHIPPED'].includes(t.to)) return [];
      const before = transitions.slice(0, i).filter((e) => e.elementType === 'SHIPMENT');
      const shipmentOf = (e: { id: string }) => e.id.split(':')[1];
      const leftPicking = new Set(before.filter((e) => e.from === 'PICKING').map(shipmentOf)).size;
      const shippedCount = new Set(before.filter((e) => e.to === 'SHIPPED').map(shipmentOf)).size;
      const caused = t.to === 'PARTLY_SHIPPED' ? shippedCount >= 1 : t.to === 'SHIPPED' ? shippedCount === 2 : leftPicking === 2;
      return caused ? [] : [`${t.from}>${t.to} at ${i}`];
    });

  it('tells a subscriber when some of an order\'s shipments have left, and when the last one has', async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      // BOOK-002 is stocked only in LHR1, LAMP-001 only in FRA1: two shipments from two centres.
      const id = await place([{ sku: 'BOOK-002', quantity: 1 }, { sku: 'LAMP-001', quantity: 1 }]);
      const sub = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await sub.until((c) => shipped(c.events));
      // From picking on, the order's moves are the orders service's own record of its shipments'
      // progress: each starts where the one before ended, whichever of its messages reached
      // tracking first. (Earlier moves come from the coordinator's steps, through other messages.)
      const all = orderMoves(sub.events);
      const moves = all.slice(all.findIndex((t) => t.from === 'PICKING'));
      for (let i = 1; i < moves.length; i++) expect(moves[i]!.from).toBe(moves[i - 1]!.to);
      expect(moves.slice(-2).map((t) => t.to)).toEqual(['PARTLY_SHIPPED', 'SHIPPED']);
      expect(moves.slice(-2).every((t) => t.node === 'orders')).toBe(true);
      expect(sub.events.filter((e) => e.orderTransitions.transition.elementType === 'SHIPMENT' && e.orderTransitions.transition.to === 'SHIPPED')).toHaveLength(2);
      // Each of the order's moves comes after the shipments' moves that caused it: a subscriber
      // never hears the order partly shipped before a shipment has shipped, nor shipped before both.
      expect(causesFirst(sub.events.map((e) => e.orderTransitions.transition))).toEqual([]);
      sub.stop();

      const order = await whereIs(id);
      expect(order.status).toBe('SHIPPED');
      expect(order.location).toEqual({ state: 'SHIPPED', node: 'orders' });
      const partly = order.history.find((t: { to: string }) => t.to === 'PARTLY_SHIPPED');
      expect(partly).toMatchObject({ elementType: 'ORDER', node: 'orders' });
      expect(partly.detail).toMatch(/1 of 2 shipments shipped/);
    } finally {
      await client.dispose();
    }
  });

  it("tells a subscriber of a customer's cancellation in the order it was made, as the history has it: requested, applied, then the order's move", async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const id = await place([{ sku: 'LAMP-001', quantity: 1000 }]);
      await eventually(() => whereIs(id), (o) => o.status === 'OUT_OF_STOCK' && o.exceptions.length > 0);
      const sub = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await sub.until((c) => orderMoves(c.events).some((t) => t.to === 'OUT_OF_STOCK'));
      const cancelled = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { status } }`, {
        input: { orderId: id, reason: 'changed my mind', idempotencyKey: `in-order-${id}` },
      });
      expect(cancelled.data?.cancelOrder.status).toBe('CANCELLED');
      const cancelling = (moves: { to: string }[]) => moves.map((t) => t.to).filter((to) => ['CANCEL_REQUESTED', 'CANCEL_APPLIED', 'CANCELLED'].includes(to));
      await sub.until((c) => cancelling(c.events.map((e) => e.orderTransitions.transition)).length === 3);
      const live = cancelling(sub.events.map((e) => e.orderTransitions.transition));
      expect(live).toEqual(['CANCEL_REQUESTED', 'CANCEL_APPLIED', 'CANCELLED']);
      sub.stop();
      const history = await eventually(() => historyOf(id), (moves) => cancelling(moves).length === 3);
      expect(cancelling(history)).toEqual(live);
    } finally {
      await client.dispose();
    }
  });

  it('tells a subscriber an order was cancelled from exceptions, and the history and location say so', async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const id = await place([{ sku: 'LAMP-001', quantity: 1000 }]);
      const stuck = await eventually(() => whereIs(id), (o) => o.status === 'OUT_OF_STOCK' && o.exceptions.length > 0 && o.location?.state === 'OUT_OF_STOCK');
      const sub = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await sub.until((c) => orderMoves(c.events).some((t) => t.to === 'OUT_OF_STOCK'));
      const cancelled = await gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id: stuck.exceptions[0].id });
      expect(cancelled.data?.cancelException.status).toBe('CANCELLED');
      await sub.until((c) => orderMoves(c.events).some((t) => t.to === 'CANCELLED'));
      expect(orderMoves(sub.events).at(-1)).toMatchObject({ from: 'OUT_OF_STOCK', to: 'CANCELLED', node: 'orders' });
      sub.stop();

      const order = await eventually(() => whereIs(id), (o) => o.location?.state === 'CANCELLED');
      expect(order.status).toBe('CANCELLED');
      expect(order.location).toEqual({ state: 'CANCELLED', node: 'orders' });
      expect(order.history.filter((t: { elementType: string }) => t.elementType === 'ORDER').at(-1)).toMatchObject({ from: 'OUT_OF_STOCK', to: 'CANCELLED' });
    } finally {
      await client.dispose();
    }
  });
});
