import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onMongoCommand } from '../../kit/mongo-command-hooks.ts';
import { TestDatabases } from '../../test/harness.ts';
import { ObjectId } from 'mongodb';
import { sweepStalledJourneys } from './place-order.ts';
import { sweepUnsentTransitions } from './order-transitions.ts';
import { startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import { chargingOnPlacement, transitionsOf, type OrderDoc, type OrderStore } from './store.ts';

// The orders worker's sweep for orders a crash left PLACED without their first step, against
// the service's real database. No worker runs here, so steps stay where the test puts them.

const dbs = new TestDatabases();
let store: OrderStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, close } = await startOrdersServiceAlone(dbs, 'orders_sweep'));
});
afterAll(async () => {
  await close();
  await dbs.cleanup();
});

/** Inserts this sweep sends to the orders database: each is a step (re-)enqueued. */
let inserts = 0;
onMongoCommand(({ database, name }) => {
  if (name === 'insert' && database === store?.coordination.labels.database) inserts++;
  return undefined;
});

describe("the orders worker's sweep for stalled journeys", () => {
  it('starts the journey of an order left without its first step, and leaves alone one whose step waits in the queue', async () => {
    const placedAt = new Date(Date.now() - 60_000);
    const stranded = await storeTestOrder(store, { status: 'PLACED', stage: null, placedAt, chargeAttempts: 0, chargeId: null });
    const waiting = await storeTestOrder(store, { status: 'PLACED', stage: null, placedAt, chargeAttempts: 0, chargeId: null });
    await store.startJourney(waiting._id.toHexString());
    const waitingStep = await store.coordination.get(`charge:${waiting._id.toHexString()}:1`);

    inserts = 0;
    await sweepStalledJourneys(store, new Date(Date.now() - 30_000));

    expect(await store.coordination.get(`charge:${stranded._id.toHexString()}:1`)).toMatchObject({ status: 'READY', payload: { kind: 'charge', orderId: stranded._id.toHexString() } });
    expect(await store.coordination.get(`charge:${waiting._id.toHexString()}:1`)).toEqual(waitingStep);
    // The stranded order's step only: the waiting one is not enqueued again (a refused insert and
    // two more lookups for every order behind a backlog, every 10 s).
    expect(inserts).toBe(1);
  });

  it("starts the first charge step of an order placed CHARGING whose placement died before it knew its charge request had gone, and posts the move once that step has run", async () => {
    const placedAt = new Date(Date.now() - 60_000);
    // As placeOrder stores it, then its process died: the move unsent, no step, nothing sent.
    const placed = await storeTestOrder(store, { ...chargingOnPlacement({ _id: new ObjectId(), version: 0, placedAt } as OrderDoc), chargeId: null });
    const id = placed._id.toHexString();
    expect(transitionsOf(placed).map((t) => [t.from, t.to, t.sentAt])).toEqual([['PLACED', 'CHARGING', null]]);

    // Younger than the sweep waits for: its placement may still be sending it.
    await sweepUnsentTransitions(store, new Date(placedAt.getTime() - 1_000));
    expect(await store.coordination.get(`charge:${id}:1`)).toBeNull();

    await sweepUnsentTransitions(store, new Date(Date.now() - 30_000));
    // The coordinator's first step sends the request and the move (payments takes a request once) and marks it sent.
    expect(await store.coordination.get(`charge:${id}:1`)).toMatchObject({ status: 'READY', payload: { kind: 'charge', orderId: id } });
    expect((await store.findById(placed._id))!.transitionsUnsent).toBe(true);
    // Swept again while that step waits: nothing more.
    inserts = 0;
    await sweepUnsentTransitions(store, new Date(Date.now() - 30_000));
    expect(inserts).toBe(0);

    // Had that step finished without marking the move (an earlier version's worker ran it), the next sweep posts the move.
    await store.coordination.items.updateOne({ _id: `charge:${id}:1` }, { $set: { status: 'DONE' } });
    await sweepUnsentTransitions(store, new Date(Date.now() - 30_000));
    expect((await store.findById(placed._id))!.transitionsUnsent).toBeUndefined();
    expect((await store.reports.items.find({ _id: { $regex: id } } as never).toArray()).length).toBeGreaterThan(0);
  });
});
