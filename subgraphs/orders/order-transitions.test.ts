import { ObjectId } from 'mongodb';
import { readItem, variablesOf } from '../../kit/queue.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { requestCancellation } from './cancellations.ts';
import { sweepUnsentTransitions } from './order-transitions.ts';
import { applyProgress } from './progress.ts';
import { startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import { transitionsOf, type OrderStore, type OrderTransitionDoc } from './store.ts';

// The order's own transitions (REBIN, SHIPPING, PARTLY_SHIPPED, SHIPPED, CANCELLED) reach
// tracking from the orders service: at once, or through its outbox when tracking does not answer,
// as here, where nothing does. What tracking will be told is what the outbox holds: these tests
// read it, against the real database, with no other service.

const dbs = new TestDatabases();
let app: RunningApp;
let store: OrderStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ app, store, close } = await startOrdersServiceAlone(dbs, 'orders_transitions'));
});
afterAll(async () => {
  await close();
  await dbs.cleanup();
});

/** An order split into shipments at these centres, as the coordinator leaves it in picking. */
async function orderInPicking(centres: string[]): Promise<{ id: string; shipmentIds: string[] }> {
  const _id = new ObjectId();
  const id = _id.toHexString();
  const shipmentIds = centres.map((centre) => `${id}-${centre}`);
  await storeTestOrder(store, {
    _id,
    status: 'PICKING',
    stage: 'picking',
    shipments: centres.map((distributionCenter, i) => ({ shipmentId: shipmentIds[i]!, distributionCenter, status: 'PICKING', detail: null })),
  });
  return { id, shipmentIds };
}

const report = (orderId: string, shipmentId: string, status: string, eventId = `${shipmentId}:${status}`) =>
  gql(app.url, `mutation($input: ProgressInput!) { recordProgress(input: $input) }`, { input: { eventId, orderId, shipmentId, stage: 'test', status } });

/** The order's own transitions the outbox holds for tracking, as `FROM>TO`, each as often as it is there. */
async function toldTracking(orderId: string): Promise<string[]> {
  const prefix = `order-transition:ORDER:${orderId}:`;
  const posted = [
    ...(await store.reports.items.find({ _id: { $regex: `^${prefix}` } }).toArray()),
    ...(await store.reports.finished.find({ _id: { $regex: `^${prefix}` } }).toArray()),
  ];
  const transitions = posted.map(readItem).flatMap((item) =>
    item.outbox.flatMap((message) => ((variablesOf(message) as { input: { elementType: string; from: string; to: string }[] }).input ?? []).filter((t) => t.elementType === 'ORDER')),
  );
  // A message carries the order's own transitions up to its own (so they reach tracking in order
  // whichever message arrives first); tracking records each transition once by id.
  return [...new Set(transitions.map((t) => `${t.from}>${t.to}`))].sort();
}

describe("the order's own transitions", () => {
  it('reach tracking when a crash lost one and a later report has already moved the order on', async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1']);
    // The REBIN report was applied, then the process died before telling tracking...
    await store.change(new ObjectId(id), (order) => applyProgress(order, shipmentIds[0]!, 'REBIN', null));
    // ...and the next report arrives before that one is redelivered.
    expect((await report(id, shipmentIds[0]!, 'SHIPPING')).errors).toBeUndefined();
    expect(await toldTracking(id)).toEqual(['PICKING>REBIN', 'REBIN>SHIPPING', 'null>PLACED']);
    const order = (await store.findById(new ObjectId(id)))!;
    expect(transitionsOf(order).map((t) => [`${t.from}>${t.to}`, t.sentAt !== null])).toEqual([
      ['PICKING>REBIN', true],
      ['REBIN>SHIPPING', true],
    ]);

    // The late redelivery of the REBIN report, and a repeated SHIPPING one, add nothing.
    await report(id, shipmentIds[0]!, 'REBIN');
    await report(id, shipmentIds[0]!, 'SHIPPING');
    expect(await toldTracking(id)).toEqual(['PICKING>REBIN', 'REBIN>SHIPPING', 'null>PLACED']);
  });

  it("carry the shipment's moves a report gives, ahead of the order's move they caused: a subscriber hears a shipment ship before the order does", async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1', 'FRA1']);
    const shipmentId = shipmentIds[0]!;
    const at = new Date().toISOString();
    // As shipping reports it: the move that handed the shipment to it, and its own.
    const moves = [
      { from: 'PICKING', to: 'SHIPPING', node: 'picking', at, detail: 'picklist pl-1', traceId: null },
      { from: 'SHIPPING', to: 'SHIPPED', node: 'shipping', at, detail: 'Royal Mail RM1', traceId: null },
    ];
    const res = await gql(app.url, `mutation($input: ProgressInput!) { recordProgress(input: $input) }`, {
      input: { eventId: `${shipmentId}:shipping:SHIPPED`, orderId: id, shipmentId, stage: 'shipping', status: 'SHIPPED', detail: 'Royal Mail RM1', moves },
    });
    expect(res.errors).toBeUndefined();
    const posted = (await store.reports.items.find({ _id: { $regex: `^order-transition:ORDER:${id}:` } }).toArray()).map(readItem);
    const told = posted.flatMap((item) => item.outbox.map((message) => (variablesOf(message) as { input: { elementType: string; elementId: string; from: string | null; to: string }[] }).input));
    expect(told.map((input) => input.map((t) => `${t.elementType} ${t.from}>${t.to}`))).toEqual([
      ['ORDER null>PLACED', 'SHIPMENT PICKING>SHIPPING', 'SHIPMENT SHIPPING>SHIPPED', 'ORDER PICKING>PARTLY_SHIPPED'],
    ]);
    expect(told[0]![1]).toMatchObject({ id: `SHIPMENT:${shipmentId}:PICKING>SHIPPING`, elementId: shipmentId, orderId: id, node: 'picking', at });
    // More moves than a report has is refused, and writes nothing.
    const tooMany = await gql(app.url, `mutation($input: ProgressInput!) { recordProgress(input: $input) }`, {
      input: { eventId: `${shipmentIds[1]}:shipping:SHIPPED`, orderId: id, shipmentId: shipmentIds[1], stage: 'shipping', status: 'SHIPPED', moves: [...moves, ...moves] },
    });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await store.findById(new ObjectId(id)))!.status).toBe('PARTLY_SHIPPED');

    // The last shipment ships: its message tells the earlier move again, and that move's causes
    // before it (it may reach tracking first, the earlier message held up in the outbox).
    const other = shipmentIds[1]!;
    const otherMoves = moves.map((move) => ({ ...move, detail: move.node === 'shipping' ? 'Royal Mail RM2' : move.detail }));
    await gql(app.url, `mutation($input: ProgressInput!) { recordProgress(input: $input) }`, {
      input: { eventId: `${other}:shipping:SHIPPED`, orderId: id, shipmentId: other, stage: 'shipping', status: 'SHIPPED', detail: 'Royal Mail RM2', moves: otherMoves },
    });
    const last = (await store.reports.items.find({ _id: { $regex: `^order-transition:ORDER:${id}:PARTLY_SHIPPED>SHIPPED` } }).toArray()).map(readItem);
    const lastTold = last.flatMap((item) => item.outbox.map((message) => (variablesOf(message) as { input: { elementType: string; elementId: string; from: string | null; to: string }[] }).input));
    expect(lastTold.map((input) => input.map((t) => `${t.elementType} ${t.elementId === shipmentId ? 'A ' : t.elementId === other ? 'B ' : ''}${t.from}>${t.to}`))).toEqual([
      ['ORDER null>PLACED', 'SHIPMENT A PICKING>SHIPPING', 'SHIPMENT A SHIPPING>SHIPPED', 'ORDER PICKING>PARTLY_SHIPPED', 'SHIPMENT B PICKING>SHIPPING', 'SHIPMENT B SHIPPING>SHIPPED', 'ORDER PARTLY_SHIPPED>SHIPPED'],
    ]);
  });

  it("carry the moves of every shipment the order's move follows, not only the last to report: the order is where its slowest shipment is", async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1', 'FRA1']);
    const [first, second] = shipmentIds as [string, string];
    const at = new Date().toISOString();
    const moved = (shipmentId: string) =>
      gql(app.url, `mutation($input: ProgressInput!) { recordProgress(input: $input) }`, {
        input: { eventId: `${shipmentId}:picking:SHIPPING`, orderId: id, shipmentId, stage: 'picking', status: 'SHIPPING', moves: [{ from: 'PICKING', to: 'SHIPPING', node: 'picking', at, detail: null, traceId: null }] },
      });
    // The first leaves picking: the order stays PICKING, the other shipment still there.
    expect((await moved(first)).errors).toBeUndefined();
    expect((await store.findById(new ObjectId(id)))!.status).toBe('PICKING');
    // The second leaves: the order moves, and its message tells both shipments' moves first.
    expect((await moved(second)).errors).toBeUndefined();
    const posted = (await store.reports.items.find({ _id: { $regex: `^order-transition:ORDER:${id}:PICKING>SHIPPING` } }).toArray()).map(readItem);
    const told = posted.flatMap((item) => item.outbox.map((message) => (variablesOf(message) as { input: { elementType: string; elementId: string; from: string | null; to: string }[] }).input));
    expect(told.map((input) => input.map((t) => `${t.elementType} ${t.elementId === first ? 'A ' : t.elementId === second ? 'B ' : ''}${t.from}>${t.to}`))).toEqual([
      ['ORDER null>PLACED', 'SHIPMENT A PICKING>SHIPPING', 'SHIPMENT B PICKING>SHIPPING', 'ORDER PICKING>SHIPPING'],
    ]);
  });

  it("carry a cancellation's outcomes and the pulled shipments' moves ahead of the order's CANCELLED: a subscriber hears the shipments stop before the order does", async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1', 'FRA1']);
    const [first, second] = shipmentIds as [string, string];
    const { cancellation } = await requestCancellation({ orderId: id, reason: 'changed my mind', idempotencyKey: `told-${id}` }, store);
    const at = new Date().toISOString();
    const outcome = (elementId: string, node: string, moves: unknown[]) =>
      gql(app.url, `mutation($input: CancellationOutcomeInput!) { recordCancellationOutcome(input: $input) }`, {
        input: { cancellationId: cancellation.id, orderId: id, elementId, node, result: 'APPLIED', detail: `pulled at ${node}`, at, moves },
      });
    // Picking pulls the first; the second had been handed to rebin, which pulls it there.
    expect((await outcome(first, 'picking', [{ from: 'PICKING', to: 'CANCELLED', node: 'picking', at, detail: `cancellation ${cancellation.id}`, traceId: null }])).errors).toBeUndefined();
    const handedOn = { from: 'PICKING', to: 'REBIN', node: 'picking', at, detail: null, traceId: null };
    const stop = { from: 'REBIN', to: 'CANCELLED', node: 'rebin', at, detail: `cancellation ${cancellation.id}`, traceId: null };
    // More moves than a report has is refused, and writes nothing.
    const tooMany = await outcome(second, 'rebin', [handedOn, handedOn, stop]);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await store.findById(new ObjectId(id)))!.cancellation!.outcomes).toHaveLength(1);
    expect((await outcome(second, 'rebin', [handedOn, stop])).errors).toBeUndefined();
    expect((await store.findById(new ObjectId(id)))!.status).toBe('CANCELLED');

    const posted = (await store.reports.items.find({ _id: { $regex: `^order-transition:ORDER:${id}:PICKING>CANCELLED` } }).toArray()).map(readItem);
    const told = posted.flatMap((item) => item.outbox.map((message) => (variablesOf(message) as { input: { id: string; elementType: string; elementId: string; from: string | null; to: string; at: string }[] }).input));
    const named = (t: { elementType: string; elementId: string; from: string | null; to: string }) =>
      `${t.elementType} ${t.elementId === first ? 'A ' : t.elementId === second ? 'B ' : ''}${t.from}>${t.to}`;
    expect(told.map((input) => input.filter((t) => t.elementType !== 'CANCEL' || t.to !== 'CANCEL_REQUESTED').map(named))).toEqual([
      ['ORDER null>PLACED', 'SHIPMENT A PICKING>CANCELLED', 'CANCEL CANCEL_REQUESTED>CANCEL_APPLIED', 'SHIPMENT B PICKING>REBIN', 'SHIPMENT B REBIN>CANCELLED', 'CANCEL CANCEL_REQUESTED>CANCEL_APPLIED', 'ORDER PICKING>CANCELLED'],
    ]);
    // As the nodes told tracking: the same ids (tracking records each once) and times.
    expect(told[0]!.filter((t) => t.elementType === 'CANCEL').map((t) => [t.id, t.at])).toEqual([
      [`CANCEL:${cancellation.id}:outcome:${first}`, at],
      [`CANCEL:${cancellation.id}:outcome:${second}`, at],
    ]);
    expect(told[0]!.find((t) => named(t) === 'SHIPMENT B REBIN>CANCELLED')).toMatchObject({ id: `SHIPMENT:${second}:REBIN>CANCELLED`, orderId: id, at });
  });

  it('reach tracking when the process died between writing a move and telling tracking: the redelivered report tells it', async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1']);
    // The REBIN report was applied, its move written as told (one write per report), then the
    // process died before telling tracking...
    await store.change(new ObjectId(id), (order) => applyProgress(order, shipmentIds[0]!, 'REBIN', null));
    expect(await toldTracking(id)).toEqual([]);
    // ...and its stage's relay, which got no answer, sends it again.
    expect((await report(id, shipmentIds[0]!, 'REBIN')).errors).toBeUndefined();
    expect(await toldTracking(id)).toEqual(['PICKING>REBIN', 'null>PLACED']);
  });

  it("reach tracking when a cancel's process died between writing its move and posting it: the orders worker's sweep posts it", async () => {
    const { id } = await orderInPicking(['LHR1']);
    // The cancel's move written, unsent; then its process died, and nobody asks again.
    await store.change(new ObjectId(id), () => ({ status: 'CANCELLED', stage: null, transition: { detail: 'customer asked' } }));
    expect((await store.findById(new ObjectId(id)))!.transitionsUnsent).toBe(true);
    // Younger than the sweep waits for: still being sent by what wrote it.
    await sweepUnsentTransitions(store, new Date(Date.now() - 30_000));
    expect(await toldTracking(id)).toEqual([]);

    await sweepUnsentTransitions(store, new Date(Date.now() + 1_000));
    expect(await toldTracking(id)).toEqual(['PICKING>CANCELLED', 'null>PLACED']);
    const order = (await store.findById(new ObjectId(id)))!;
    expect(order.transitionsUnsent).toBeUndefined();
    expect(transitionsOf(order).map((t) => t.sentAt instanceof Date)).toEqual([true]);
  });

  it('are read when stored as objects, as earlier versions stored them, and kept through a change', async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1']);
    await store.change(new ObjectId(id), (order) => applyProgress(order, shipmentIds[0]!, 'REBIN', null));
    // The same order as an earlier version wrote it: its transitions (REBIN, not yet sent) as objects.
    const { transitionsJson, ...stored } = (await store.findById(new ObjectId(id)))!;
    const transitions = transitionsOf({ transitionsJson });
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['PICKING>REBIN']);
    await store.orders.replaceOne({ _id: stored._id }, { ...stored, transitions });

    expect((await report(id, shipmentIds[0]!, 'SHIPPING')).errors).toBeUndefined();
    expect(await toldTracking(id)).toEqual(['PICKING>REBIN', 'REBIN>SHIPPING', 'null>PLACED']);
    // Written back in this version's form (text, the objects dropped), with each transition's time as it was made.
    const order = (await store.findById(new ObjectId(id)))!;
    expect(order.transitions).toBeUndefined();
    expect(typeof order.transitionsJson).toBe('string');
    expect(transitionsOf(order).map((t) => [`${t.from}>${t.to}`, t.sentAt instanceof Date])).toEqual([
      ['PICKING>REBIN', true],
      ['REBIN>SHIPPING', true],
    ]);
    expect(transitionsOf(order)[0]!.at).toEqual(transitions[0]!.at);
    expect((await gql(app.url, `query($id: ID!) { order(id: $id) { status } }`, { id })).data).toEqual({ order: { status: 'SHIPPING' } });
  });

  it('are read from text as leniently as from objects: a field left out stays out, null text is none', () => {
    const at = new Date('2026-12-05T00:00:00.000Z');
    const detail = '2026-12-05T00:00:00.000Z';
    const [fromText] = transitionsOf({ transitionsJson: JSON.stringify([{ from: 'PICKING', to: 'REBIN', at, detail }]) });
    // No `sentAt`: unsent, as an object without one is (not an invalid date, which would count as sent).
    expect(fromText).toEqual({ from: 'PICKING', to: 'REBIN', at, detail });
    expect(fromText!.sentAt).toBeUndefined();
    const objects: OrderTransitionDoc[] = [{ from: 'PICKING', to: 'REBIN', at, detail: null, sentAt: at }];
    expect(transitionsOf({ transitions: objects, transitionsJson: null as unknown as string })).toBe(objects);
  });

  it('tell tracking of every move of a multi-shipment order once, however often reports are redelivered', async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1', 'FRA1']);
    const [london, frankfurt] = shipmentIds as [string, string];
    for (const status of ['REBIN', 'SHIPPING', 'SHIPPED']) {
      await report(id, london, status);
      await report(id, london, status); // redelivered
    }
    for (const status of ['REBIN', 'SHIPPING', 'SHIPPED']) await report(id, frankfurt, status);
    expect(await toldTracking(id)).toEqual(['PARTLY_SHIPPED>SHIPPED', 'PICKING>PARTLY_SHIPPED', 'null>PLACED']);
    const order = (await store.findById(new ObjectId(id)))!;
    expect(order.status).toBe('SHIPPED');
  });

  it('tell tracking of a cancellation once, however often it is asked for', async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1']);
    await report(id, shipmentIds[0]!, 'REBIN');
    for (let i = 0; i < 2; i++) {
      expect((await gql(app.url, `mutation($id: ID!) { stopOrder(orderId: $id, reason: "customer asked") }`, { id })).errors).toBeUndefined();
    }
    // The cancellation carries every move before it, the placement first (null>PLACED sorts last here).
    expect(await toldTracking(id)).toEqual(['PICKING>REBIN', 'REBIN>CANCELLED', 'null>PLACED']);
  });

  it("tell tracking of the coordinator's moves again with each later move, so tracking records them first whichever message comes first", async () => {
    const { id, shipmentIds } = await orderInPicking(['LHR1']);
    // The coordinator's moves, as its steps record them with the order (carried by the steps' own
    // messages, which can wait in the orders worker's outbox while the relay backs off).
    await store.change(new ObjectId(id), () => ({ status: 'PLACED' }));
    for (const status of ['CHARGING', 'RESERVING', 'PICKING'] as const) await store.change(new ObjectId(id), () => ({ status, transition: { detail: null, carried: true } }));
    expect((await report(id, shipmentIds[0]!, 'SHIPPING')).errors).toBeUndefined();
    expect(await toldTracking(id)).toEqual(['CHARGING>RESERVING', 'PICKING>SHIPPING', 'PLACED>CHARGING', 'RESERVING>PICKING', 'null>PLACED']);
    expect((await gql(app.url, `mutation($id: ID!) { stopOrder(orderId: $id, reason: "customer asked") }`, { id })).errors).toBeUndefined();
    expect(await toldTracking(id)).toEqual(['CHARGING>RESERVING', 'PICKING>SHIPPING', 'PLACED>CHARGING', 'RESERVING>PICKING', 'SHIPPING>CANCELLED', 'null>PLACED']);
  });
});
