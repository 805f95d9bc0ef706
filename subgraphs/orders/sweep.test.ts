import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onMongoCommand } from '../../kit/mongo-command-hooks.ts';
import { TestDatabases } from '../../test/harness.ts';
import { startJourney, sweepStalledJourneys } from './place-order.ts';
import { startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import type { OrderStore } from './store.ts';

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
    await startJourney(waiting, store);
    const waitingStep = await store.coordination.get(`charge:${waiting._id.toHexString()}:1`);

    inserts = 0;
    await sweepStalledJourneys(store, new Date(Date.now() - 30_000));

    expect(await store.coordination.get(`charge:${stranded._id.toHexString()}:1`)).toMatchObject({ status: 'READY', payload: { kind: 'charge', orderId: stranded._id.toHexString() } });
    expect(await store.coordination.get(`charge:${waiting._id.toHexString()}:1`)).toEqual(waitingStep);
    // The stranded order's step only: the waiting one is not enqueued again (a refused insert and
    // two more lookups for every order behind a backlog, every 10 s).
    expect(inserts).toBe(1);
  });
});
