import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveFulfilled } from '../subgraphs/tracking/archiver.ts';
import { codes, gql, TestDatabases } from './harness.ts';
import { eventually, placeOrder, startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(dbs);
});
afterAll(async () => {
  await system?.services.tracking.store.warehouse.db.dropDatabase().catch(() => {});
  await system?.close();
  await dbs.cleanup();
});

const place = (lines: { sku: string; quantity: number }[]) => placeOrder(system.gatewayUrl, lines);

type Transition = { elementType: string; from: string | null; to: string; node: string; at: string };
const history = async (id: string) =>
  (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status history { elementType from to node at detail } location { state node } } }`, { id })).data!.order as {
    status: string;
    history: Transition[];
    location: { state: string; node: string } | null;
  };
const statusOf = async (id: string) => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status } }`, { id })).data!.order.status as string;

const journey = [
  'ORDER NEW>PLACED orders',
  'ORDER PLACED>CHARGING orders',
  'CHARGE QUEUED>APPROVED payments',
  'ORDER CHARGING>RESERVING orders',
  'ORDER RESERVING>PICKING orders',
  'SHIPMENT NEW>PICKING orders',
  'SHIPMENT PICKING>REBIN picking',
  'ORDER PICKING>REBIN orders',
  'SHIPMENT REBIN>SHIPPING rebin',
  'ORDER REBIN>SHIPPING orders',
  'SHIPMENT SHIPPING>SHIPPED shipping',
  'ORDER SHIPPING>SHIPPED orders',
];
const describeTransition = (t: Transition) => `${t.elementType} ${t.from ?? 'NEW'}>${t.to} ${t.node}`;

describe('tracking', () => {
  it('records every transition of an order and its shipment, in order, and knows where the order is', async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 2 }]);
    // Tracking and orders hear of the shipment independently: wait for both. The order's own
    // moves follow its shipment's (the orders service records them as the stages report).
    const order = await eventually(() => history(id), (o) => o.history.length === journey.length && o.status === 'SHIPPED', 20_000);
    expect(order.history.map(describeTransition).sort()).toEqual([...journey].sort());
    const orderSteps = order.history.filter((t) => t.elementType === 'ORDER').map(describeTransition);
    expect(orderSteps).toEqual(journey.filter((j) => j.startsWith('ORDER')));
    const times = order.history.map((t) => Date.parse(t.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(order.location).toEqual({ state: 'SHIPPED', node: 'orders' });
  });

  it('loses nothing while tracking is down: the history is complete once it is back, and logged in the order the moves were made', async () => {
    // Down while the order goes through: the coordinator's messages to tracking back off from its
    // first steps on, longer than those of the order's later moves, which carry them.
    await system.stop('tracking');
    let id = '';
    try {
      id = await place([{ sku: 'MUG-001', quantity: 3 }]);
      await eventually(() => statusOf(id), (status) => status === 'SHIPPED', 20_000);
    } finally {
      await system.restart('tracking');
    }
    const order = await eventually(() => history(id), (o) => o.history.length === journey.length, 20_000);
    expect(order.history.map(describeTransition).sort()).toEqual([...journey].sort());
    const store = system.services.tracking.store;
    const logged = (await store.eventsBetween(1, await store.lastEventSeq())).filter((event) => event.orderId === id);
    expect(logged.filter((event) => event.elementType === 'ORDER').map((event) => event.to)).toEqual(order.history.filter((t) => t.elementType === 'ORDER').map((t) => t.to));
    // Its shipment's moves too, though each stage's records back off on their own clock: each
    // stage's record carries the move that handed the shipment to it.
    expect(logged.filter((event) => event.elementType === 'SHIPMENT').map((event) => `${event.from ?? 'NEW'}>${event.to}`)).toEqual([
      'NEW>PICKING',
      'PICKING>REBIN',
      'REBIN>SHIPPING',
      'SHIPPING>SHIPPED',
    ]);
  });

  it("hears of an order's moves from the orders service at once, not only through its outbox: the history is whole while that outbox's relay is stopped", async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 2 }]);
    // Past the coordinator's steps (they run in the orders worker, with the relay): picking has the shipment.
    await eventually(() => history(id), (o) => o.history.some((t) => describeTransition(t) === 'SHIPMENT PICKING>REBIN picking'), 20_000);
    await system.stopWorkers('orders');
    try {
      // Both: the gateway reads the status from orders before the history from tracking, so one
      // answer can hold the order's last move in its history and its status from just before it.
      const order = await eventually(() => history(id), (o) => o.history.length === journey.length && o.status === 'SHIPPED', 20_000);
      expect(order.history.map(describeTransition).sort()).toEqual([...journey].sort());
    } finally {
      system.addWorker('orders');
    }
  });

  it('lets an order ship while tracking takes requests and never answers, and has its whole history once tracking answers again', async () => {
    const release = await system.hang('tracking');
    let id = '';
    try {
      id = await place([{ sku: 'MUG-001', quantity: 2 }]);
      // Each of the order's moves waits for tracking 2 s at the most, once: then it goes to the outbox.
      await eventually(() => statusOf(id), (status) => status === 'SHIPPED', 20_000);
    } finally {
      await release();
      await system.restart('tracking');
    }
    const order = await eventually(() => history(id), (o) => o.history.length === journey.length, 30_000);
    expect(order.history.map(describeTransition).sort()).toEqual([...journey].sort());
  });

  it("answers a person's cancel without waiting for a tracking that hangs, and its history ends CANCELLED once tracking answers", async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
    const release = await system.hang('tracking');
    try {
      const startedAt = Date.now();
      const cancelled = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { status } }`, {
        input: { orderId: id, reason: 'changed my mind', idempotencyKey: `hung-${id}` },
      });
      expect(cancelled.errors).toBeUndefined();
      // Posted to the outbox: a person may never ask again, so a crash while waiting for tracking
      // (2 s at most) would lose the move for good.
      expect(Date.now() - startedAt).toBeLessThan(1_500);
    } finally {
      await release();
      await system.restart('tracking');
    }
    const order = await eventually(() => history(id), (o) => o.history.some((t) => t.elementType === 'ORDER' && t.to === 'CANCELLED'), 30_000);
    expect(order.history.filter((t) => t.elementType === 'ORDER' && t.to === 'CANCELLED')).toHaveLength(1);
  });

  it('lists transitions of the same time in its history as the live stream gave them (the order they were logged), not by id', async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
    const at = new Date().toISOString();
    const move = (elementId: string) => ({ id: `test:tie:${elementId}`, elementType: 'RECEIPT', elementId, orderId: id, from: null, to: 'STOCKED', node: 'receiving', at });
    // Logged z first, then a: by id, a would come first.
    const record = `mutation($input: [TransitionInput!]!) { recordTransitions(input: $input) }`;
    expect((await gql(system.urls.tracking, record, { input: [move(`z-${id}`), move(`a-${id}`)] })).data!.recordTransitions).toBe(2);
    const store = system.services.tracking.store;
    const logged = (await store.eventsBetween(1, await store.lastEventSeq())).filter((event) => event.orderId === id && event.elementType === 'RECEIPT').map((event) => event.elementId);
    expect(logged).toEqual([`z-${id}`, `a-${id}`]);
    const res = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { elementType elementId } } }`, { id });
    const listed = (res.data!.order.history as { elementType: string; elementId: string }[]).filter((t) => t.elementType === 'RECEIPT').map((t) => t.elementId);
    expect(listed).toEqual(logged);
  });

  it('records a transition delivered twice once', async () => {
    const input = [{ id: 'test:dup', elementType: 'RECEIPT', elementId: 'r-dup', from: 'QUEUED', to: 'STOCKED', node: 'receiving', at: new Date().toISOString() }];
    const record = `mutation($input: [TransitionInput!]!) { recordTransitions(input: $input) }`;
    expect((await gql(system.urls.tracking, record, { input })).data!.recordTransitions).toBe(1);
    expect((await gql(system.urls.tracking, record, { input })).data!.recordTransitions).toBe(0);
    const stored = await gql(system.gatewayUrl, `{ transitions(elementId: "r-dup") { to } }`);
    expect(stored.data!.transitions).toEqual([{ to: 'STOCKED' }]);
  });

  it('refuses a batch naming an id too long to index, and stores none of it', async () => {
    const fine = { id: 'test:long-1', elementType: 'RECEIPT', elementId: 'r-long', from: 'QUEUED', to: 'STOCKED', node: 'receiving', at: new Date().toISOString() };
    // 400 characters, 1,200 bytes: the limit is the bytes the index holds.
    const input = [fine, { ...fine, id: 'test:long-2', elementId: '倉'.repeat(400) }];
    const response = await gql(system.urls.tracking, `mutation($input: [TransitionInput!]!) { recordTransitions(input: $input) }`, { input });
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toContain('elementId must be at most 1000 bytes');
    expect((await gql(system.gatewayUrl, `{ transitions(elementId: "r-long") { to } }`)).data!.transitions).toEqual([]);
    // Asked for by an id no transition can have: said so, not answered with nothing.
    const asked = await gql(system.gatewayUrl, `query($id: ID!) { transitions(elementId: $id) { to } }`, { id: 'x'.repeat(1001) });
    expect(codes(asked)).toEqual(['BAD_USER_INPUT']);
    expect(asked.errors![0]!.message).toContain('at most 1000 bytes');
  });

  it('refuses a delivery too large, a detail or a name too long, and a time out of range, storing none of it', async () => {
    const fine = { id: 'test:limits-1', elementType: 'RECEIPT', elementId: 'r-limits', from: 'QUEUED', to: 'STOCKED', node: 'receiving', at: new Date().toISOString() };
    const record = `mutation($input: [TransitionInput!]!) { recordTransitions(input: $input) }`;
    const tooMany = Array.from({ length: 1_001 }, (_, n) => ({ ...fine, id: `test:limits-${n}` }));
    const refusals = [
      { input: tooMany, field: 'input' },
      { input: [fine, { ...fine, id: 'test:limits-x', detail: 'x'.repeat(16_385) }], field: 'detail' },
      { input: [fine, { ...fine, id: 'test:limits-x', node: 'n'.repeat(101) }], field: 'node' },
      { input: [fine, { ...fine, id: 'test:limits-x', at: '+275760-09-13T00:00:00.000Z' }], field: 'at' },
      { input: [fine, { ...fine, id: 'test:limits-x', at: '1970-01-01T00:00:00.000Z' }], field: 'at' },
      // What Date would read all the same: a year alone, a US date, no offset (the server's local time), 31 February.
      ...['2024', '12/31/2020', '2020-01-01T00:00:00', '2020-02-31T00:00:00Z'].map((at) => ({ input: [fine, { ...fine, id: 'test:limits-x', at }], field: 'at' })),
      { input: [fine, { ...fine, id: 'test:limits-x', node: '' }], field: 'node' },
      { input: [fine, { ...fine, id: 'test:limits-x', to: ' ' }], field: 'to' },
    ];
    for (const { input, field } of refusals) {
      const response = await gql(system.urls.tracking, record, { input });
      expect(codes(response), JSON.stringify(input.at(-1))).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.extensions!.field).toBe(field);
    }
    expect((await gql(system.gatewayUrl, `{ transitions(elementId: "r-limits") { to } }`)).data!.transitions).toEqual([]);
    // At the limits, taken.
    const atLimits = Array.from({ length: 1_000 }, (_, n) => ({ ...fine, id: `test:limits-${n}`, detail: n === 0 ? 'd'.repeat(16_384) : null }));
    expect((await gql(system.urls.tracking, record, { input: atLimits })).data!.recordTransitions).toBe(1_000);
  });

  it('refuses a blank element id (a zero-width space names no element) rather than answering with nothing', async () => {
    for (const blank of ['', '\u200B']) {
      expect(codes(await gql(system.gatewayUrl, `query($id: ID!) { transitions(elementId: $id) { to } }`, { id: blank })), JSON.stringify(blank)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('tells how long orders waited in each state', async () => {
    const res = await gql(system.gatewayUrl, `{ stageWaits(minutes: 60) { state count p50Ms p90Ms p99Ms maxMs } }`);
    const byState = new Map((res.data!.stageWaits as { state: string; count: number; p50Ms: number; p90Ms: number; maxMs: number }[]).map((w) => [w.state, w]));
    for (const state of ['CHARGING', 'PICKING', 'REBIN', 'SHIPPING']) {
      const wait = byState.get(state)!;
      expect(wait.count).toBeGreaterThanOrEqual(2);
      expect(wait.p50Ms).toBeLessThanOrEqual(wait.p90Ms);
      expect(wait.p90Ms).toBeLessThanOrEqual(wait.maxMs);
    }
    expect(byState.has('SHIPPED')).toBe(false); // a final state is not a wait
  });

  it('moves a fulfilled order\'s history to the warehouse once, also after a move that died half-way, and still answers it', async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
    // A single item skips rebin: 8 transitions of the order, its charge and its shipment, and the order's own 2 after picking.
    const before = await eventually(() => history(id), (o) => o.history.length === 10 && o.status === 'SHIPPED', 20_000);
    const store = system.services.tracking.store;
    const rows = await store.recent(id);
    await store.warehouse.insertMany(rows.slice(0, 3)); // an earlier move copied three rows and died

    expect(await archiveFulfilled(store, 0)).toContain(id);
    expect(await store.transitions.countDocuments({ orderId: id })).toBe(0);
    expect(await store.warehouse.countDocuments({ orderId: id })).toBe(rows.length);
    expect((await history(id)).history).toEqual(before.history);
    expect(await archiveFulfilled(store, 0)).not.toContain(id); // nothing left to move
  });

  it('answers the whole history of an order read while it moves to the warehouse, a later move of it staying behind', async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
    const before = await eventually(() => history(id), (o) => o.history.length === 10 && o.status === 'SHIPPED', 20_000);
    const { store, log } = system.services.tracking;
    // The interleaving that lost rows, forced where the reads allow it: the history's read of the
    // warehouse before the move copies the order there; the archiver's read of the order, then a
    // later transition of it (a return), then the move; the history's read of the tracking store
    // after it. Read at once, the two reads gave only the return.
    const names = (filter: unknown) => {
      const orderId = (filter as { orderId?: unknown } | undefined)?.orderId;
      return orderId === id || (orderId as { $in?: unknown[] } | undefined)?.$in?.includes(id) === true;
    };
    let moved!: () => void;
    const moveDone = new Promise<void>((resolve) => (moved = resolve));
    const moveWhileReading = async () => {
      const rows = await store.recent(id);
      await log.record([{ _id: `RETURN:${id}:late`, elementType: 'RETURN', elementId: `${id}-r1`, orderId: id, from: null, to: 'REQUESTED', node: 'orders', at: new Date(), detail: null }]);
      await store.moveToWarehouse(rows);
      moved();
    };
    const [trackingFind, warehouseFind] = [store.transitions.find, store.warehouse.find];
    let [trackingHeld, warehouseHeld] = [false, false];
    store.transitions.find = function (this: typeof store.transitions, ...args: Parameters<typeof trackingFind>) {
      if (trackingHeld || !names(args[0])) return trackingFind.apply(this, args);
      trackingHeld = true;
      // Waits for the move if the warehouse is read first; reads read one after the other cannot be.
      return { toArray: async () => (await Promise.race([moveDone, new Promise((resolve) => setTimeout(resolve, 500))]), trackingFind.apply(this, args).toArray()) };
    } as never;
    store.warehouse.find = function (this: typeof store.warehouse, ...args: Parameters<typeof warehouseFind>) {
      if (warehouseHeld || !names(args[0])) return warehouseFind.apply(this, args);
      warehouseHeld = true;
      return { toArray: async () => (await warehouseFind.apply(this, args).toArray().finally(moveWhileReading)) };
    } as never;
    try {
      const during = await history(id);
      await moveDone;
      expect(await store.transitions.countDocuments({ orderId: id })).toBe(1); // it moved, the return stayed
      expect(during.history.slice(0, before.history.length)).toEqual(before.history);
      expect((await history(id)).history.map((t) => t.elementType)).toEqual([...before.history.map((t) => t.elementType), 'RETURN']);
    } finally {
      delete (store.transitions as { find?: unknown }).find;
      delete (store.warehouse as { find?: unknown }).find;
    }
  });

  it("moves a cancelled order's history too, and an order finished before a shipment's last move was recorded holds up none of the others", async () => {
    const { store, log } = system.services.tracking;
    await archiveFulfilled(store, 0, 10_000); // what earlier tests finished
    // Picking stopped: the order waits there, and the cancellation pulls its one shipment.
    await system.stopWorkers('picking');
    let cancelled: string;
    try {
      cancelled = await place([{ sku: 'MUG-001', quantity: 1 }]);
      await eventually(() => history(cancelled), (o) => o.history.some((t) => t.elementType === 'SHIPMENT'), 20_000);
      const res = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { id } }`, { input: { orderId: cancelled, reason: 'changed my mind', idempotencyKey: `archive-${cancelled}` } });
      expect(res.errors).toBeUndefined();
      // Picking's worker starts again (to send on its report) only once the cancellation has pulled
      // the shipment there: sooner, on a busy machine, it could pick it first, and the order ship.
      const { shipments, cancellations } = system.services.picking.store;
      const there = async () => ({ told: !!(await cancellations.log.findOne({ orderId: cancelled })), held: (await shipments.liveWhere({ 'payload.orderId': cancelled } as never)).length });
      await eventually(there, ({ told, held }) => told && held === 0, 20_000);
    } finally {
      system.addWorker('picking');
    }
    await eventually(() => history(cancelled), (o) => o.status === 'CANCELLED' && o.history.some((t) => t.elementType === 'ORDER' && t.to === 'CANCELLED'), 20_000);

    // Finished, but its shipment's last move is not recorded yet (its stage's report is on its way), and older than the cancelled one.
    const stuck = '64b00000000000000000a5a5';
    const at = new Date(Date.now() - 60_000);
    const move = (elementType: string, elementId: string, from: string | null, to: string) => ({ _id: `${elementType}:${elementId}:${to}`, elementType, elementId, orderId: stuck, from, to, node: 'orders', at, detail: null });
    await log.record([move('SHIPMENT', `${stuck}-LHR1`, null, 'PICKING'), move('ORDER', stuck, 'SHIPPING', 'SHIPPED')] as never);

    // One order a pass: the stuck one, older, is passed over and remembered, and the cancelled one moves.
    const moving = new Map<string, number>();
    expect(await archiveFulfilled(store, 0, 1, moving)).toEqual([cancelled!]);
    expect([...moving.keys()]).toEqual([stuck]);
    expect(await store.transitions.countDocuments({ orderId: cancelled! })).toBe(0);
    expect(await store.warehouse.countDocuments({ orderId: cancelled! })).toBeGreaterThan(0);
    // Remembered: the next pass does not read it again, and finds nothing else to move.
    expect(await archiveFulfilled(store, 0, 1, moving)).toEqual([]);
    expect(await store.transitions.countDocuments({ orderId: stuck })).toBe(2);
  });

  it('keeps the history of an order still moving in the tracking store', async () => {
    await system.stopWorkers('shipping');
    try {
      const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
      await eventually(() => history(id), (o) => o.history.some((t) => t.to === 'SHIPPING'), 20_000);
      await archiveFulfilled(system.services.tracking.store, 0);
      expect(await system.services.tracking.store.transitions.countDocuments({ orderId: id })).toBeGreaterThan(0);
    } finally {
      system.addWorker('shipping');
    }
  });
});
