import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { gql, mostWritesAtOnce, serve, silentLogger, testTokens, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { doorbell } from '../../kit/doorbell.ts';
import { onMongoCommand } from '../../kit/mongo-command-hooks.ts';
import { variablesOf, type Lease } from '../../kit/queue.ts';
import { finishInterruptedReleases, releaseDue, releaseLeased, startAggregator } from './aggregator.ts';
import { buildPickingService } from './server.ts';
import type { PickingStore } from './store.ts';

const dbs = new TestDatabases();
// A write made from a revision is refused once the document moved on: on MongoDB, and on FerretDB with the embedded PostgreSQL's guard.
const guardedReplaces = inject('embeddedDb') !== 'sqlite';
let app: RunningApp;
let store: PickingStore;

beforeAll(async () => {
  const service = await buildPickingService({ db: await dbs.create('picking'), logger: silentLogger, tokens: testTokens });
  store = service.store;
  app = await serve(service.handler);
});
afterAll(async () => {
  await app.close();
  await dbs.cleanup();
});

let counter = 0;
function shipment(distributionCenter: string, shippingMethod: 'STANDARD' | 'EXPRESS', quantity = 1): ShipmentPayload {
  const n = ++counter;
  return {
    shipmentId: `S${n}-${distributionCenter}`,
    orderId: `order-${n}`,
    reservationId: `order-${n}`,
    distributionCenter,
    shippingMethod,
    lines: [{ sku: 'BOOK-001', title: 'Book', quantity, weightGrams: 500, bin: 'A-01' }],
    address: { name: 'Ada', line1: '1 Main St', line2: null, city: 'London', postalCode: 'N1', country: 'GB' },
    picklistId: null,
  };
}

const enqueue = (s: ShipmentPayload) =>
  gql(app.url, `mutation($s: ShipmentInput!) { enqueueForPicking(shipment: $s) { shipmentId status } }`, { s });

async function clear() {
  await store.shipments.items.deleteMany({});
  await store.picklists.deleteMany({});
}

describe('picking aggregation', () => {
  it('releases a picklist when a group reaches its batch size, and the rest when the oldest has waited long enough', async () => {
    await clear();
    const shipments = Array.from({ length: 7 }, () => shipment('LHR1', 'STANDARD'));
    for (const s of shipments) expect((await enqueue(s)).data!.enqueueForPicking.status).toBe('QUEUED');
    const rules = { batchSize: 3, maxWaitMs: 60_000 };

    const full = await releaseDue(store, 'w1', rules);
    expect(full.map((r) => [r.reason, r.shipmentIds.length])).toEqual([['BATCH_FULL', 3], ['BATCH_FULL', 3]]);
    expect(await releaseDue(store, 'w1', rules)).toEqual([]); // one left, not old enough

    const late = await releaseDue(store, 'w1', rules, new Date(Date.now() + 61_000));
    expect(late.map((r) => [r.reason, r.shipmentIds.length])).toEqual([['MAX_WAIT', 1]]);

    const listed = await gql(app.url, `{ picklists(first: 10) { edges { node { id reason shipmentIds distributionCenter shippingMethod } } } }`);
    const picklists = listed.data!.picklists.edges.map((edge: { node: unknown }) => edge.node);
    expect(picklists).toHaveLength(3);
    expect(new Set(picklists.flatMap((p: { shipmentIds: string[] }) => p.shipmentIds))).toEqual(new Set(shipments.map((s) => s.shipmentId)));
  });

  it('a running aggregation releases a full batch soon even when its ring went unheard, and a waiting group when it falls due', async () => {
    await clear();
    const rules = { batchSize: 3, maxWaitMs: 3_000 };
    const aggregator = startAggregator(store, rules, silentLogger);
    const releasedAfter = async (shipmentId: string, since: number) => {
      for (;;) {
        const picklist = await store.picklists.findOne({ shipmentIds: shipmentId, status: 'RELEASED' });
        if (picklist) return Date.now() - since;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    try {
      const alone = shipment('LHR1', 'EXPRESS');
      const aloneAt = Date.now();
      await enqueue(alone);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Stored at another instance of the picking subgraph: this process hears no ring.
      const muted = vi.spyOn(doorbell, 'ring').mockImplementation(() => {});
      const batch = [shipment('LHR1', 'STANDARD'), shipment('LHR1', 'STANDARD'), shipment('LHR1', 'STANDARD')];
      const batchAt = Date.now();
      try {
        for (const s of batch) await enqueue(s);
      } finally {
        muted.mockRestore();
      }
      // Half a second between looks while shipments wait (not only when the oldest group is due, 2.7 s later).
      expect(await releasedAfter(batch[2]!.shipmentId, batchAt)).toBeLessThan(2_200);
      const waited = await releasedAfter(alone.shipmentId, aloneAt);
      expect(waited).toBeGreaterThanOrEqual(rules.maxWaitMs);
      expect(waited).toBeLessThan(rules.maxWaitMs + 1_000);
    } finally {
      await aggregator.stop();
    }
  });

  it('lists picklists newest first, a page at a time, and a page boundary holds while new ones are released', async () => {
    await clear();
    const rules = { batchSize: 1, maxWaitMs: 60_000 };
    const release = async (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        await enqueue(shipment('LHR1', 'STANDARD'));
        ids.push(...(await releaseDue(store, 'w1', rules)).map((r) => r.picklistId));
      }
      return ids;
    };
    const page = async (after: string | null) => {
      const res = await gql(app.url, `query($after: String) { picklists(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
      expect(res.errors).toBeUndefined();
      return { ids: res.data!.picklists.edges.map((edge: { node: { id: string } }) => edge.node.id) as string[], pageInfo: res.data!.picklists.pageInfo };
    };
    const older = await release(5);
    expect(older).toHaveLength(5);
    const first = await page(null);
    const newer = await release(2);
    const second = await page(first.pageInfo.endCursor);
    const third = await page(second.pageInfo.endCursor);
    expect([...first.ids, ...second.ids, ...third.ids]).toEqual([...older].reverse());
    expect(third.pageInfo.hasNextPage).toBe(false);
    expect((await page(null)).ids).toEqual([...newer].reverse());
    const bad = await gql(app.url, `{ picklists(after: "bm9wZQ") { edges { cursor } } }`);
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('never mixes distribution centres or shipping methods in one picklist', async () => {
    await clear();
    for (const s of [shipment('LHR1', 'STANDARD'), shipment('LHR1', 'EXPRESS'), shipment('FRA1', 'STANDARD'), shipment('LHR1', 'STANDARD')]) await enqueue(s);
    const releases = await releaseDue(store, 'w1', { batchSize: 10, maxWaitMs: 0 });
    const picklists = await store.picklists.find({ status: 'RELEASED' }).toArray();
    expect(releases).toHaveLength(3);
    for (const picklist of picklists) {
      const items = await Promise.all(picklist.shipmentIds.map((id) => store.shipments.get(id)));
      expect(new Set(items.map((i) => `${i!.payload.distributionCenter}/${i!.payload.shippingMethod}`)).size).toBe(1);
      expect(picklist.distributionCenter).toBe(items[0]!.payload.distributionCenter);
    }
  });

  it('puts every shipment in exactly one picklist when several picking workers release at once', async () => {
    await clear();
    const shipments = Array.from({ length: 30 }, (_, i) => shipment(i % 2 ? 'LHR1' : 'FRA1', 'STANDARD'));
    await Promise.all(shipments.map(enqueue));
    const rules = { batchSize: 4, maxWaitMs: 0 };
    for (let round = 0; round < 5; round++) await Promise.all(['w1', 'w2', 'w3', 'w4'].map((owner) => releaseDue(store, owner, rules)));
    const released = (await store.picklists.find({ status: 'RELEASED' }).toArray()).flatMap((p) => p.shipmentIds);
    expect(released.length).toBe(30);
    expect(new Set(released).size).toBe(30);
  });

  it("releases a backlog's picklists a few at once, each completing its shipments together", async () => {
    await clear();
    const shipments = Array.from({ length: 20 }, () => shipment('LHR1', 'STANDARD'));
    await Promise.all(shipments.map(enqueue));
    let releases: Awaited<ReturnType<typeof releaseDue>> = [];
    // One after another, a pass made at most one picklist's writes at a time (its five leases).
    const writesAtOnce = await mostWritesAtOnce(store.shipments.items.db, 20, async () => (releases = await releaseDue(store, 'w1', { batchSize: 5, maxWaitMs: 60_000 })));
    expect(releases.map((release) => release.shipmentIds.length)).toEqual([5, 5, 5, 5]);
    expect(new Set(releases.flatMap((release) => release.shipmentIds))).toEqual(new Set(shipments.map((s) => s.shipmentId)));
    expect(writesAtOnce).toBeGreaterThan(5);
  });

  it('hands each picked shipment on by the routing rule: several items to rebin, one item to shipping', async () => {
    await clear();
    const multi = shipment('LHR1', 'EXPRESS', 3);
    const single = shipment('LHR1', 'EXPRESS', 1);
    await enqueue(multi);
    await enqueue(single);
    const [release] = await releaseDue(store, 'w1', { batchSize: 2, maxWaitMs: 60_000 });
    const targets = async (id: string) => (await store.shipments.get(id))!.outbox.map((m) => m.target).sort();
    expect(await targets(multi.shipmentId)).toEqual(['orders', 'rebin', 'tracking']);
    expect(await targets(single.shipmentId)).toEqual(['orders', 'shipping', 'tracking']);
    const handOff = (await store.shipments.get(multi.shipmentId))!.outbox.find((m) => m.target === 'rebin')!;
    expect((variablesOf(handOff).shipment as ShipmentPayload).picklistId).toBe(release!.picklistId);
  });
});

describe('a cancellation at picking', () => {
  const cancellationOf = (orderId: string) => ({ cancellationId: `${orderId}-cancel`, orderId, reason: 'changed my mind', requestedAt: new Date().toISOString() });
  const apply = async (orderId: string) => {
    const res = await gql(app.url, 'mutation($c: CancellationInput!) { applyPickingCancellation(cancellation: $c) { elementId result detail } }', { c: cancellationOf(orderId) });
    expect(res.errors).toBeUndefined();
    return res.data!.applyPickingCancellation as { elementId: string; result: string; detail: string }[];
  };
  /** Records that the receiver of `messageId` refused it, as the relay does. */
  const refuse = async (id: string, messageId: string) => {
    const item = (await store.shipments.get(id))!;
    await store.shipments.recordDeliveries(id, new Map([[messageId, 'shipping: shipment input is not valid']]), new Set([messageId]), item);
  };

  it('pulls a picked shipment whose hand-off the next stage refused: it never left, so its exception closes, its stock goes back and orders hears it was pulled', async () => {
    await clear();
    const stuck = shipment('LHR1', 'EXPRESS', 1);
    const handedOn = shipment('LHR1', 'EXPRESS', 1);
    await enqueue(stuck);
    await enqueue(handedOn);
    await releaseDue(store, 'w1', { batchSize: 2, maxWaitMs: 60_000 });
    await refuse(stuck.shipmentId, `shipping:${stuck.shipmentId}`);
    // Only its report to orders was refused: the shipment itself went on to shipping, which answers for it.
    const report = (await store.shipments.get(handedOn.shipmentId))!.outbox.find((m) => m.target === 'orders')!;
    await refuse(handedOn.shipmentId, report.id);
    const raise = (await store.shipments.get(stuck.shipmentId))!.outbox.find((m) => m.target === 'exceptions')!;
    expect((variablesOf(raise).input as { reason: string }).reason).toMatch(/^its hand-off to shipping was refused/);

    expect(await apply(handedOn.orderId)).toEqual([]);
    expect(await apply(stuck.orderId)).toEqual([{ elementId: stuck.shipmentId, result: 'APPLIED', detail: 'pulled at picking, where its hand-off on was refused' }]);
    const pulled = (await store.shipments.get(stuck.shipmentId))!;
    expect(pulled.outbox.filter((m) => m.refused)).toEqual([]);
    const told = pulled.outbox.filter((m) => !m.delivered && !m.abandoned);
    expect(variablesOf(told.find((m) => m.target === 'exceptions' && m.id.startsWith('exception-closed:'))!)).toEqual({ input: variablesOf(raise).input, resolution: `the order was cancelled (${stuck.orderId}-cancel)` });
    expect(variablesOf(told.find((m) => m.id.startsWith('cancellation-outcome:'))!)).toMatchObject({ input: { cancellationId: `${stuck.orderId}-cancel`, elementId: stuck.shipmentId, node: 'picking', result: 'APPLIED' } });
    expect(variablesOf(told.find((m) => m.id === `release:${stuck.shipmentId}`)!)).toEqual({ reservationId: stuck.reservationId, distributionCenter: 'LHR1' });
    const cancelledMove = told.find((m) => m.target === 'tracking' && JSON.stringify(variablesOf(m)).includes('"CANCELLED"'))!;
    expect(variablesOf(cancelledMove)).toMatchObject({ input: [{ elementId: stuck.shipmentId, from: 'SHIPPING', to: 'CANCELLED', node: 'picking' }, { elementType: 'CANCEL', to: 'CANCEL_APPLIED' }] });
    // Delivered again, it finds nothing more to pull, and the hand-off is never sent.
    expect(await apply(stuck.orderId)).toEqual([]);
    expect((await store.shipments.get(stuck.shipmentId))!.outbox).toHaveLength(pulled.outbox.length);
    expect(pulled.outbox.find((m) => m.id === `shipping:${stuck.shipmentId}`)).toMatchObject({ delivered: false, abandoned: true, refused: false });
    expect(await store.shipments.resolveRefused(stuck.shipmentId, 'RETRY')).toBe(false);
  });

  it('pulls it as well when the refusal comes after the cancellation did (the hand-off was still on its way)', async () => {
    await clear();
    const late = shipment('LHR1', 'EXPRESS', 1);
    await enqueue(late);
    await releaseDue(store, 'w1', { batchSize: 1, maxWaitMs: 0 });
    expect(await apply(late.orderId)).toEqual([]);
    await refuse(late.shipmentId, `shipping:${late.shipmentId}`);
    const pulled = (await store.shipments.get(late.shipmentId))!;
    expect(pulled.outbox.filter((m) => m.refused)).toEqual([]);
    expect(variablesOf(pulled.outbox.find((m) => m.id.startsWith('cancellation-outcome:'))!)).toMatchObject({ input: { result: 'APPLIED', detail: 'pulled at picking, where its hand-off on was refused' } });
    expect(pulled.outbox.filter((m) => m.id === `release:${late.shipmentId}`)).toHaveLength(1);
  });

  it('is not undone by a second relay recording the same refusal late: nothing is raised again, and a repeat of the cancellation pulls nothing more', async () => {
    await clear();
    const twice = shipment('LHR1', 'EXPRESS', 1);
    await enqueue(twice);
    await releaseDue(store, 'w1', { batchSize: 1, maxWaitMs: 0 });
    const handOff = `shipping:${twice.shipmentId}`;
    // Two relays read it while the hand-off was on its way, and both were refused.
    const [readByA, readByB] = [(await store.shipments.get(twice.shipmentId))!, (await store.shipments.get(twice.shipmentId))!];
    const refusedBy = (read: typeof readByA) => store.shipments.recordDeliveries(twice.shipmentId, new Map([[handOff, 'shipping: shipment input is not valid']]), new Set([handOff]), read);
    await refusedBy(readByA);
    expect(await apply(twice.orderId)).toHaveLength(1);
    const pulled = (await store.shipments.get(twice.shipmentId))!;
    await refusedBy(readByB);
    const after = (await store.shipments.get(twice.shipmentId))!;
    expect(after.outbox).toEqual(pulled.outbox);
    expect(await apply(twice.orderId)).toEqual([]);
    expect((await store.shipments.get(twice.shipmentId))!.outbox.filter((m) => m.id === `release:${twice.shipmentId}`)).toHaveLength(1);
  });
});

describe('picking recovery', () => {
  it('takes back shipments whose release died half-way, once their leases expire', async () => {
    await clear();
    const [a, b] = [shipment('LHR1', 'STANDARD'), shipment('LHR1', 'STANDARD')];
    await enqueue(a);
    await enqueue(b);
    // A picking worker leased them for a release and died.
    const short = new (store.shipments.constructor as typeof import('../../kit/queue.ts').DurableQueue)(store.shipments.items.db, 'shipments', { visibilityTimeoutMs: 1_000 });
    expect(await short.leaseById(a.shipmentId, 'dead')).not.toBeNull();
    expect(await short.leaseById(b.shipmentId, 'dead')).not.toBeNull();
    expect(await releaseDue(store, 'w1', { batchSize: 2, maxWaitMs: 0 })).toEqual([]); // still leased
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [release] = await releaseDue(store, 'w1', { batchSize: 2, maxWaitMs: 0 });
    expect(release!.shipmentIds.sort()).toEqual([a.shipmentId, b.shipmentId].sort());
  });

  it('keeps the picklist of a release that took shipments over from one whose leases expired, when the late one finishes', async () => {
    await clear();
    const late = shipment('LHR1', 'STANDARD');
    await enqueue(late);
    // A slow release leased it; its lease expired and another release took the shipment over.
    const short = new (store.shipments.constructor as typeof import('../../kit/queue.ts').DurableQueue)(store.shipments.items.db, 'shipments', { visibilityTimeoutMs: 1_000 });
    const slow = (await short.leaseById(late.shipmentId, 'slow'))!;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [taken] = await releaseDue(store, 'w1', { batchSize: 1, maxWaitMs: 0 });
    expect(taken!.shipmentIds).toEqual([late.shipmentId]);
    // The slow one goes on: its completion is refused, and it is left with no shipment.
    expect(await releaseLeased(store, [slow as Lease<ShipmentPayload>], 'BATCH_FULL')).toBeNull();
    const picked = await store.shipments.get(late.shipmentId);
    expect(picked!.status).toBe('DONE');
    const picklist = await store.picklists.findOne({ _id: (picked!.result as { picklistId: string }).picklistId });
    expect(picklist).toMatchObject({ _id: taken!.picklistId, status: 'RELEASED', shipmentIds: [late.shipmentId] });
  });

  it('keeps the picklist of a release slower than its leases, when the sweep dropped it meanwhile', async () => {
    await clear();
    const slow = shipment('LHR1', 'STANDARD');
    await enqueue(slow);
    const lease = (await store.shipments.leaseById(slow.shipmentId, 'slow'))!;
    // The release stalls after recording its picklist, long enough for the sweep to take it for
    // dead: none of its shipments is completed under it yet, so the sweep drops it.
    const complete = store.shipments.complete.bind(store.shipments);
    const stalled = vi.spyOn(store.shipments, 'complete').mockImplementationOnce(async (...args) => {
      await finishInterruptedReleases(store, -60_000);
      expect(await store.picklists.countDocuments({ status: { $in: ['PENDING', 'RELEASED'] } })).toBe(0);
      return complete(...args);
    });
    const release = await releaseLeased(store, [lease], 'MAX_WAIT');
    stalled.mockRestore();
    expect(release!.shipmentIds).toEqual([slow.shipmentId]);
    const picked = await store.shipments.get(slow.shipmentId);
    expect((picked!.result as { picklistId: string }).picklistId).toBe(release!.picklistId);
    expect(await store.picklists.findOne({ _id: release!.picklistId })).toMatchObject({ status: 'RELEASED', shipmentIds: [slow.shipmentId], orderIds: [slow.orderId] });
    // A sweep after it leaves the released picklist as it is.
    await finishInterruptedReleases(store, -60_000);
    expect(await store.picklists.findOne({ _id: release!.picklistId })).toMatchObject({ status: 'RELEASED', shipmentIds: [slow.shipmentId] });
  });

  it.skipIf(!guardedReplaces)('keeps what a slow release wrote when the sweep finishes the same picklist at the same moment', async () => {
    await clear();
    const lost: string[] = [];
    for (let round = 0; round < 100; round++) {
      for (const sweepSaw of [['s1'], []]) {
        const pending = await store.createPending({
          _id: `PL-RACE-${round}-${sweepSaw.length}`,
          distributionCenter: 'LHR1',
          shippingMethod: 'STANDARD',
          status: 'PENDING',
          shipmentIds: ['s1', 's2', 's3'],
          orderIds: ['o1'],
          reason: 'BATCH_FULL',
          createdAt: new Date(),
          releasedAt: null,
        });
        const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        // The sweep read the picklist PENDING with only what it saw completed; the release completed all three.
        await Promise.all([
          after(Math.random() * 6).then(() => store.release(pending, ['s1', 's2', 's3'], ['o1'])),
          after(Math.random() * 6).then(() => store.finishPending(pending, sweepSaw, sweepSaw.length ? ['o1'] : [])),
        ]);
        const stored = await store.picklists.findOne({ _id: pending._id });
        if (stored?.status !== 'RELEASED' || stored.shipmentIds.length !== 3) lost.push(`${pending._id}: ${stored ? `${stored.status} ${stored.shipmentIds.join(',')}` : 'gone'}`);
      }
    }
    expect(lost).toEqual([]);
  });
});

describe("picking's queue view", () => {
  it('counts each status it is asked for, and only those: a view of the backlog never reads the finished elements', async () => {
    await clear();
    for (const s of [shipment('LHR1', 'STANDARD'), shipment('LHR1', 'STANDARD'), shipment('LHR1', 'EXPRESS')]) await enqueue(s);
    const [lease] = await store.shipments.lease('w1', 1);
    expect(await store.shipments.complete(lease!)).toBe(true);

    const all = await gql(app.url, '{ pickingQueue { ready leased done failed } }');
    expect(all.data!.pickingQueue).toEqual({ ready: 2, leased: 0, done: 1, failed: 0 });

    counts = 0;
    const backlog = await gql(app.url, '{ pickingQueue { ready leased failed } }');
    expect(backlog.data!.pickingQueue).toEqual({ ready: 2, leased: 0, failed: 0 });
    expect(counts).toBe(3);
    counts = 0;
    await gql(app.url, '{ pickingQueue { ready } }');
    expect(counts).toBe(1);
    // Aliases of the same count (a client asking for `done` thirty times) count it once a request.
    counts = 0;
    await gql(app.url, '{ pickingQueue { done } }');
    const once = counts;
    counts = 0;
    const aliased = await gql(app.url, `{ ${Array.from({ length: 10 }, (_, i) => `q${i}: pickingQueue { done d: done }`).join(' ')} }`);
    expect(Object.values(aliased.data!).map((view) => view.done)).toEqual(Array(10).fill(1));
    expect(counts).toBe(once);
  });

  it('counts the finished once for every request of half a minute: a dashboard polling `done` does not read the queue each time', async () => {
    await clear();
    await enqueue(shipment('LHR1', 'STANDARD'));
    const [lease] = await store.shipments.lease('w1', 1);
    await store.shipments.complete(lease!);
    const done = async () => (await gql(app.url, '{ pickingQueue { done ready } }')).data!.pickingQueue as { done: number; ready: number };
    const first = await done();
    counts = 0;
    await enqueue(shipment('LHR1', 'EXPRESS'));
    const second = await done();
    expect(counts).toBe(1); // `ready` only
    expect(second).toEqual({ done: first.done, ready: first.ready + 1 });
  });
});

/** Counts (`aggregate` commands) sent to picking's database. */
let counts = 0;
onMongoCommand(({ database, name }) => {
  if (name === 'aggregate' && database === store?.shipments.labels.database) counts++;
  return undefined;
});
