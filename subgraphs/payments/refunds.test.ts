import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { variablesOf } from '../../kit/queue.ts';
import { serviceClients } from '../../pipeline/services.ts';
import { codes, eventually, gql, serve, silentLogger, testCredentials, testTokens, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { buildPaymentsService } from './server.ts';
import { RefundRefused, type PaymentProcessor } from './processor.ts';
import type { PaymentsStore, RefundItem } from './store.ts';
import { startPaymentsWorker } from './worker.ts';

// Refunds as queue elements: idempotent by refund id, retried when the processor fails for a
// while, parked in exceptions when they keep failing, and paid back exactly once even when a
// worker dies between the processor paying back and the element being completed.
// Real FerretDB, real service and workers.

const dbs = new TestDatabases();
let app: RunningApp;
let store: PaymentsStore;
let processor: PaymentProcessor;
const clients = serviceClients(testCredentials('payments'), {});

beforeAll(async () => {
  const service = await buildPaymentsService({
    db: await dbs.create('payments_refunds'),
    logger: silentLogger,
    tokens: testTokens,
    processor: { latencyMs: 0, failureRate: 0 },
    // Short leases, so a dead worker's refund comes back quickly; few attempts, so one parks.
    queue: { visibilityTimeoutMs: 300, refundMaxAttempts: 2 },
  });
  store = service.store;
  processor = service.processor;
  app = await serve(service.handler);
});
afterAll(async () => {
  await app.close();
  await dbs.cleanup();
});

let counter = 0;
/** An approved charge of 5000 pence on a card ending `last4`; returns its id. */
async function charged(last4 = '4242'): Promise<string> {
  const id = `refund-test-charge-${++counter}`;
  const charge = await processor.charge(id, `order-${counter}`, { token: `tok_${counter}`, last4, expMonth: 12, expYear: 2031 }, { amount: 5000, currency: 'GBP' });
  expect(charge.outcome).toBe('APPROVED');
  return id;
}

const requestRefund = (input: { refundId: string; chargeId: string; amount: number; orderId?: string; reason?: string; after?: Record<string, unknown>[] }) =>
  gql(app.url, `mutation($input: RefundRequestInput!) { requestRefund(input: $input) { id status amount { amount } } }`, {
    input: { refundId: input.refundId, chargeId: input.chargeId, orderId: input.orderId ?? null, amount: { amount: input.amount, currency: 'GBP' }, reason: input.reason ?? 'cancelled', ...(input.after ? { after: input.after } : {}) },
  });

/** The transitions an element's messages tell tracking, in the order told. */
const toldTracking = (item: RefundItem | null) =>
  item!.outbox.filter((message) => message.target === 'tracking').flatMap((message) => (variablesOf(message) as { input: { id: string; elementType: string; to: string; node: string }[] }).input);

const paidBack = async (chargeId: string) => (await store.refunds.find({ chargeId }).toArray()).reduce((sum, refund) => sum + refund.amount.amount, 0);

describe('refunds', () => {
  it('a worker killed mid-refund (after the processor paid back, before completing): refunded exactly once', async () => {
    const chargeId = await charged();
    expect((await requestRefund({ refundId: 'r-killed', chargeId, amount: 3000 })).errors).toBeUndefined();
    // The doomed worker leases the refund and the processor pays back; then the process dies.
    const [lease] = await store.refundRequests.lease('doomed-worker', 1);
    expect(lease!.id).toBe('r-killed');
    await processor.refund(lease!.payload.refundId, lease!.payload.chargeId, lease!.payload.amount);

    // A live worker takes the element over once the dead one's lease expires.
    const worker = startPaymentsWorker(store, processor, clients, silentLogger);
    try {
      const done = await eventually(() => store.refundRequests.get('r-killed'), (item) => item?.status === 'DONE');
      expect(done!.attempts).toBe(2);
    } finally {
      await worker.stop();
    }
    expect(await store.refunds.countDocuments({ _id: 'r-killed' })).toBe(1);
    expect(await paidBack(chargeId)).toBe(3000);
    // The dead worker, had it come back, could not complete it: its lease is void.
    expect(await store.refundRequests.complete(lease!)).toBe(false);
  });

  it("keeps the whole reason of a cancellation at its 500-character limit, after the cause orders puts before it", async () => {
    const chargeId = await charged();
    const reason = `cancelled: ${'é'.repeat(499)}🙂`;
    expect((await requestRefund({ refundId: 'r-long-reason', chargeId, amount: 1000, reason })).errors).toBeUndefined();
    expect((await store.refundRequests.get('r-long-reason'))!.payload.reason).toBe(reason);
    // What no caller of orders can send is still bounded.
    expect((await requestRefund({ refundId: 'r-longer', chargeId, amount: 1000, reason: 'x'.repeat(5_000) })).errors).toBeUndefined();
    expect((await store.refundRequests.get('r-longer'))!.payload.reason).toHaveLength(1_000);
  });

  it('the same refund id twice refunds once; with another amount it is a CONFLICT', async () => {
    const chargeId = await charged();
    const first = await requestRefund({ refundId: 'r-twice', chargeId, amount: 1000 });
    const second = await requestRefund({ refundId: 'r-twice', chargeId, amount: 1000 });
    expect(second.data!.requestRefund.id).toBe(first.data!.requestRefund.id);
    expect(codes(await requestRefund({ refundId: 'r-twice', chargeId, amount: 2000 }))).toEqual(['CONFLICT']);
    expect(await store.refundRequests.items.countDocuments({ _id: 'r-twice' })).toBe(1);
  });

  it("tells tracking what the refund follows (an order's cancellation) ahead of its own moves; told otherwise on a retry, it is the same refund", async () => {
    const chargeId = await charged();
    const at = new Date().toISOString();
    const move = (id: string, elementType: string, to: string, elementId = 'o-after') => ({ id, elementType, elementId, orderId: 'o-after', from: null, to, node: 'orders', at, detail: null, traceId: null });
    const charging = { ...move('ORDER:o-after:CHARGING>RESERVING', 'ORDER', 'RESERVING'), from: 'CHARGING', detail: `charge ${chargeId}` };
    const after = [move('ORDER:o-after:NEW>PLACED', 'ORDER', 'PLACED'), charging, move('CANCEL:o-after-cancel-1:NEW>CANCEL_REQUESTED', 'CANCEL', 'CANCEL_REQUESTED', 'o-after-cancel-1'), move('ORDER:o-after:OUT_OF_STOCK>CANCELLED', 'ORDER', 'CANCELLED')];
    expect((await requestRefund({ refundId: 'r-after', chargeId, amount: 1000, orderId: 'o-after', after })).errors).toBeUndefined();
    // A retry's moves carry the trace of the request that told them again: not another refund.
    const retold = after.map((t) => ({ ...t, traceId: 'a'.repeat(32) }));
    expect((await requestRefund({ refundId: 'r-after', chargeId, amount: 1000, orderId: 'o-after', after: retold })).errors).toBeUndefined();
    const worker = startPaymentsWorker(store, processor, clients, silentLogger);
    try {
      const done = await eventually(() => store.refundRequests.get('r-after'), (item) => item?.status === 'DONE');
      // The charge it pays back, told again just before the order's move it made: never refunded before charged.
      expect(toldTracking(done).map((t) => `${t.elementType} ${t.to} ${t.node}`)).toEqual([
        'ORDER PLACED orders',
        'CHARGE APPROVED payments',
        'ORDER RESERVING orders',
        'CANCEL CANCEL_REQUESTED orders',
        'ORDER CANCELLED orders',
        'REFUND REFUND_REQUESTED payments',
        'REFUND REFUNDED payments',
      ]);
      expect(toldTracking(done)[4]!.id).toBe('ORDER:o-after:OUT_OF_STOCK>CANCELLED');
      // As payments told it when it charged: the same id and time.
      const charge = await store.charges.findOne({ _id: chargeId });
      expect(toldTracking(done)[1]).toMatchObject({ id: `CHARGE:${chargeId}:QUEUED>APPROVED`, at: charge!.chargedAt.toISOString() });
    } finally {
      await worker.stop();
    }
  });

  it('refuses, and keeps nothing of, a refund following a transition tracking would refuse: its own moves would be refused with it', async () => {
    const chargeId = await charged();
    const good = { id: 'ORDER:o-bad:NEW>CANCELLED', elementType: 'ORDER', elementId: 'o-bad', orderId: 'o-bad', from: null, to: 'CANCELLED', node: 'orders', at: new Date().toISOString(), detail: null, traceId: null };
    const cases: [Record<string, unknown>[], string][] = [
      [[{ ...good, orderId: 'o-other' }], 'orderId'],
      // Another order's element, or a transition named as another element's, under this order's id.
      [[{ ...good, id: 'ORDER:o-other:SHIPPED>CANCELLED', elementId: 'o-other' }], 'orderId'],
      [[{ ...good, id: 'ORDER:o-other:SHIPPED>CANCELLED' }], 'id'],
      [[{ ...good, to: 'HACKED' }], 'to'],
      [Array.from({ length: 20 }, (_, i) => ({ ...good, id: `${good.id}:${i}`, detail: 'd'.repeat(16_000) })), 'after'],
      [[{ ...good, at: 'yesterday' }], 'at'],
      [[{ ...good, at: '1999-12-31T23:00:00.000Z' }], 'at'],
      [[{ ...good, elementType: 'PARCEL' }], 'elementType'],
      [[{ ...good, node: ' ' }], 'node'],
      [[{ ...good, traceId: 'not-a-trace' }], 'traceId'],
      [[{ ...good, id: 'x'.repeat(1_001) }], 'id'],
      [Array.from({ length: 501 }, (_, i) => ({ ...good, id: `${good.id}:${i}` })), 'after'],
    ];
    for (const [after, field] of cases) {
      const refused = await requestRefund({ refundId: `r-bad-${field}-${after.length}`, chargeId, amount: 1000, orderId: 'o-bad', after });
      expect(codes(refused), field).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0]!.extensions!.field, field).toBe(field);
      expect(await store.refundRequests.get(`r-bad-${field}-${after.length}`)).toBeNull();
    }
  });

  it('a refund the processor fails transiently (test card 0341) is retried until refunded; one that keeps failing is parked in exceptions', async () => {
    const flaky = await charged('0341');
    // Two attempts allowed, two failures first: parked, handed to exceptions, nothing paid back.
    expect((await requestRefund({ refundId: 'r-parked', chargeId: flaky, amount: 5000 })).errors).toBeUndefined();
    const worker = startPaymentsWorker(store, processor, clients, silentLogger);
    try {
      const parked = await eventually(() => store.refundRequests.get('r-parked'), (item) => item?.status === 'FAILED', 15_000);
      expect(parked!.lastError).toMatch(/processor_timeout/);
      expect(variablesOf(parked!.outbox.find((message) => message.target === 'exceptions')!)).toMatchObject({ input: { service: 'payments', queue: 'refunds', elementId: 'r-parked' } });
      // The order's history says so: requested, then failed. Not why: the customer reads it, and the
      // failing step's text is for staff (the exception, Refund.lastError).
      const told = (item: typeof parked) => item!.outbox.filter((message) => message.target === 'tracking').flatMap((message) => (variablesOf(message) as { input: { from: string | null; to: string; detail: string | null }[] }).input);
      // After the charge it pays back, told again: never before it, live.
      expect(told(parked).map((t) => [t.from, t.to])).toEqual([['QUEUED', 'APPROVED'], [null, 'REFUND_REQUESTED'], ['REFUND_REQUESTED', 'REFUND_FAILED']]);
      expect(told(parked)[2]!.detail).toBe(`refund of charge ${flaky} failed; it waits for a person`);
      expect(await paidBack(flaky)).toBe(0);

      // A person retries it from exceptions: the processor has recovered, it is refunded once.
      const retried = await gql(app.url, `mutation { resolvePaymentsException(queue: "refunds", elementId: "r-parked", action: RETRY) }`);
      expect(retried.errors).toBeUndefined();
      const done = await eventually(() => store.refundRequests.get('r-parked'), (item) => item?.status === 'DONE', 15_000);
      expect(await paidBack(flaky)).toBe(5000);
      expect(told(done).map((t) => t.to)).toEqual(['APPROVED', 'REFUND_REQUESTED', 'REFUND_FAILED', 'APPROVED', 'REFUND_REQUESTED', 'REFUNDED']);
    } finally {
      await worker.stop();
    }
  });

  it('never refunds more than was charged: a refund beyond it is parked at once, refused', async () => {
    const chargeId = await charged();
    expect((await requestRefund({ refundId: 'r-most', chargeId, amount: 4000 })).errors).toBeUndefined();
    const worker = startPaymentsWorker(store, processor, clients, silentLogger);
    try {
      await eventually(() => store.refundRequests.get('r-most'), (item) => item?.status === 'DONE');
      expect((await requestRefund({ refundId: 'r-too-much', chargeId, amount: 2000 })).errors).toBeUndefined();
      const refused = await eventually(() => store.refundRequests.get('r-too-much'), (item) => item?.status === 'FAILED');
      expect(refused!.lastError).toMatch(/1000 left to refund/);
      expect(refused!.attempts).toBe(1);
    } finally {
      await worker.stop();
    }
    expect(await paidBack(chargeId)).toBe(4000);
  });

  it('refunds of one charge at the same moment never pay back more than it charged', async () => {
    for (let round = 0; round < 5; round++) {
      const chargeId = await charged();
      // 3000 twice of 5000, as two workers (or processes) would process them at once.
      const outcomes = await Promise.allSettled(['a', 'b'].map((which) => processor.refund(`r-race-${round}-${which}`, chargeId, { amount: 3000, currency: 'GBP' })));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(RefundRefused);
      expect(String(refused.reason.message)).toMatch(/2000 left to refund/);
      expect(await paidBack(chargeId)).toBe(3000);
      // The refund that went through, asked again (a retry), is the same refund: nothing more is taken.
      const through = outcomes.find((outcome) => outcome.status === 'fulfilled') as PromiseFulfilledResult<{ _id: string }>;
      await store.refunds.deleteOne({ _id: through.value._id });
      expect((await processor.refund(through.value._id, chargeId, { amount: 3000, currency: 'GBP' }))._id).toBe(through.value._id);
      expect(await paidBack(chargeId)).toBe(3000);
    }
  });

  it('a refund given up from exceptions gives back what it took of the charge without paying it', async () => {
    const chargeId = await charged();
    expect((await requestRefund({ refundId: 'r-given-up', chargeId, amount: 3000 })).errors).toBeUndefined();
    // Its worker takes the amount from the charge's ledger, then cannot record the refund, and it is parked.
    const lease = await store.refundRequests.leaseById('r-given-up', 'test-worker');
    const insert = vi.spyOn(store.refunds, 'insertOne').mockRejectedValueOnce(new Error('connection reset'));
    await expect(processor.refund('r-given-up', chargeId, { amount: 3000, currency: 'GBP' })).rejects.toThrow(/connection reset/);
    insert.mockRestore();
    expect(await store.refundRequests.fail(lease!, 'connection reset', { permanent: true })).toBe('failed');
    const cancelled = await gql(app.url, `mutation { resolvePaymentsException(queue: "refunds", elementId: "r-given-up", action: CANCEL) }`);
    expect(cancelled.errors).toBeUndefined();
    // A worker that was still at it (its lease long lost) cannot pay it now.
    await expect(processor.refund('r-given-up', chargeId, { amount: 3000, currency: 'GBP' })).rejects.toThrow(/given up/);
    expect(await paidBack(chargeId)).toBe(0);
    // The whole charge can be refunded by another refund.
    expect((await processor.refund('r-instead', chargeId, { amount: 5000, currency: 'GBP' })).amount.amount).toBe(5000);
    expect(await paidBack(chargeId)).toBe(5000);
  });

  it('a refund voided while its worker pays it pays nothing and takes nothing of the charge', async () => {
    const chargeId = await charged();
    await processor.refund('r-first-part', chargeId, { amount: 1000, currency: 'GBP' });
    const given = { refundId: 'r-voided-meanwhile', chargeId, orderId: null, amount: { amount: 3000, currency: 'GBP' }, reason: 'cancelled' };
    // The worker found no refund on record and is about to take its amount when a person cancels it.
    const reserve = store.reserveRefund.bind(store);
    const racing = vi.spyOn(store, 'reserveRefund').mockImplementationOnce(async (...args) => {
      racing.mockRestore();
      await store.voidRefund(given);
      return reserve(...args);
    });
    await expect(processor.refund(given.refundId, chargeId, given.amount)).rejects.toThrow(/given up/);
    expect(await paidBack(chargeId)).toBe(1000);
    expect((await processor.refund('r-rest-instead', chargeId, { amount: 4000, currency: 'GBP' })).amount.amount).toBe(4000);
    expect(await paidBack(chargeId)).toBe(5000);
  });

  it('counts refunds recorded before the refund ledger existed', async () => {
    const chargeId = await charged();
    await store.refunds.insertOne({ _id: 'r-before-ledger', chargeId, orderId: null, amount: { amount: 4000, currency: 'GBP' }, refundedAt: new Date() });
    await expect(processor.refund('r-after-ledger', chargeId, { amount: 2000, currency: 'GBP' })).rejects.toThrow(/1000 left to refund/);
    expect((await processor.refund('r-after-ledger-2', chargeId, { amount: 1000, currency: 'GBP' })).amount.amount).toBe(1000);
    expect(await paidBack(chargeId)).toBe(5000);
  });

  /** Each order's refunds, as `id STATUS`, asked as the gateway asks payments. */
  const refundsOf = async (...orderIds: string[]) => {
    const response = await gql(app.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { refunds { id status } } } }`, {
      r: orderIds.map((id) => ({ __typename: 'Order', id })),
    });
    expect(response.errors).toBeUndefined();
    return (response.data!._entities as { refunds: { id: string; status: string }[] }[]).map((order) => order.refunds.map((refund) => `${refund.id} ${refund.status}`));
  };

  it('a refund id asked again for another order is a CONFLICT that leaves the accepted refund with its order', async () => {
    const chargeId = await charged();
    // The losing request got as far as its note before the winner stored the request.
    await store.noteRefundOrder('r-contested', 'order-loser');
    expect((await requestRefund({ refundId: 'r-contested', chargeId, amount: 100, orderId: 'order-winner' })).errors).toBeUndefined();
    expect(codes(await requestRefund({ refundId: 'r-contested', chargeId, amount: 100, orderId: 'order-loser' }))).toEqual(['CONFLICT']);
    expect(await refundsOf('order-winner', 'order-loser')).toEqual([['r-contested QUEUED'], []]);
  });

  it("answers an order's refunds, waiting and done, and those requested before refunds were noted by order", async () => {
    const chargeId = await charged();
    expect((await requestRefund({ refundId: 'r-listed-1', chargeId, amount: 1000, orderId: 'order-listed' })).errors).toBeUndefined();
    const worker = startPaymentsWorker(store, processor, clients, silentLogger);
    try {
      await eventually(() => store.refundRequests.get('r-listed-1'), (item) => item?.status === 'DONE');
    } finally {
      await worker.stop();
    }
    expect((await requestRefund({ refundId: 'r-listed-2', chargeId, amount: 500, orderId: 'order-listed' })).errors).toBeUndefined();
    // A request stored by an earlier version, which noted no order: found once the store starts again.
    await store.refundRequests.enqueue('r-earlier', { refundId: 'r-earlier', orderId: 'order-earlier', chargeId, amount: { amount: 100, currency: 'GBP' }, reason: 'cancelled' });
    expect(await refundsOf('order-earlier')).toEqual([[]]);
    await store.refundOrders.deleteMany({});
    await store.ensureIndexes(); // a start that has noted them already reads nothing
    expect(await refundsOf('order-earlier')).toEqual([[]]);
    await store.refundOrders.db.collection('migrations').deleteMany({});
    await store.ensureIndexes();
    const [listed, earlier, none] = await refundsOf('order-listed', 'order-earlier', 'order-none');
    expect(listed![0]).toBe('r-listed-1 REFUNDED');
    expect(listed![1]).toMatch(/^r-listed-2 /);
    expect(earlier).toEqual([expect.stringMatching(/^r-earlier /)]);
    expect(none).toEqual([]);
  });

  it('refuses bad input with its code and enqueues nothing', async () => {
    const chargeId = await charged();
    expect(codes(await requestRefund({ refundId: 'r-zero', chargeId, amount: 0 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await requestRefund({ refundId: ' ', chargeId, amount: 100 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await requestRefund({ refundId: 'r-long-order', chargeId, amount: 100, orderId: 'o'.repeat(201) }))).toEqual(['BAD_USER_INPUT']);
    expect(await store.refundRequests.items.countDocuments({ _id: { $in: ['r-zero', 'r-long-order'] } })).toBe(0);
    expect(await store.refundOrders.countDocuments({ refundId: 'r-long-order' })).toBe(0);
  });
});
