import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, TestDatabases } from '../../test/harness.ts';
import { changedJustAfterRead, startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import { chargeStepId, transitionsOf, type OrderDoc, type OrderStore } from './store.ts';
import { claimUnpaidOrders, expireUnpaid, spoken } from './unpaid.ts';

// The orders worker's expiry of declined orders nobody paid again, against the service's real
// database. No worker runs here: the test runs the expire step itself, where a worker would.

const dbs = new TestDatabases();
let store: OrderStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, close } = await startOrdersServiceAlone(dbs, 'orders_unpaid'));
});
afterAll(async () => {
  await close();
  await dbs.cleanup();
});

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms);

const declined = (overrides: Partial<OrderDoc> = {}) =>
  storeTestOrder(store, { status: 'PAYMENT_DECLINED', stage: 'exceptions', chargeId: null, chargeAttempts: 1, placedAt: ago(4 * HOUR), ...overrides });

const reread = async (order: OrderDoc) => (await store.findById(order._id))!;
const nextAttempt = (order: OrderDoc) => store.coordination.get(chargeStepId(order._id.toHexString(), 2));

describe('declined orders left unpaid', () => {
  it('past their payBy have their next charge attempt taken by an expire step, which cancels them with a reason the customer can read', async () => {
    const expired = await declined({ payBy: ago(1_000) });
    const waiting = await declined({ payBy: new Date(Date.now() + HOUR) });

    await claimUnpaidOrders(store, 3 * HOUR, silentLogger);

    expect((await nextAttempt(expired))?.payload).toEqual({ kind: 'expire', orderId: expired._id.toHexString(), attempts: 1 });
    expect(await nextAttempt(waiting)).toBeNull();
    await expireUnpaid(store, expired._id.toHexString(), 1, 3 * HOUR);
    const cancelled = await reread(expired);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.cancellation).toMatchObject({ reason: 'not paid within 3 hours of the card being declined', refund: null });
    expect(cancelled.cancellation!.concludedAt).toBeInstanceOf(Date);
    expect((await reread(waiting)).status).toBe('PAYMENT_DECLINED');
  });

  it('are left to a payment that took the attempt first', async () => {
    const paying = await declined({ payBy: ago(1_000) });
    const id = paying._id.toHexString();
    await store.coordination.enqueue(chargeStepId(id, 2), { kind: 'charge', orderId: id });

    expect(await claimUnpaidOrders(store, HOUR, silentLogger)).toBe(0);

    expect((await nextAttempt(paying))?.payload.kind).toBe('charge');
    expect((await reread(paying)).status).toBe('PAYMENT_DECLINED');
  });

  it('are claimed once however many workers sweep at the same moment', async () => {
    const expired = await declined({ payBy: ago(1_000) });

    const claims = await Promise.all([1, 2, 3].map(() => claimUnpaidOrders(store, HOUR, silentLogger)));

    expect(claims.reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(1);
    expect((await nextAttempt(expired))?.payload.kind).toBe('expire');
    // The step run twice (a worker died after its first run): one cancellation, one move.
    await expireUnpaid(store, expired._id.toHexString(), 1, HOUR);
    await expireUnpaid(store, expired._id.toHexString(), 1, HOUR);
    expect(transitionsOf(await reread(expired)).filter((move) => move.to === 'CANCELLED')).toHaveLength(1);
  });

  it('are not cancelled by the step once they moved on, by a payment between its look and its write, or by a cancellation of their own', async () => {
    const paying = await declined({ payBy: ago(1_000) });
    // The payment moves the order on just after the expire step last read it.
    let paid = false;
    const racing = changedJustAfterRead(store, async () => {
      paid = true;
      await store.change(paying._id, () => ({ status: 'CHARGING', stage: 'payments', chargeAttempts: 2, transition: { detail: 'the customer paid again' } }));
    });
    await expireUnpaid(racing, paying._id.toHexString(), 1, HOUR);
    expect(paid).toBe(true);
    const after = await reread(paying);
    expect(after.status).toBe('CHARGING');
    expect(after.cancellation ?? null).toBeNull();

    // Declined again since it was swept: that decline has its own payBy.
    const again = await declined({ payBy: new Date(Date.now() + HOUR), chargeAttempts: 2 });
    await expireUnpaid(store, again._id.toHexString(), 1, HOUR);
    expect((await reread(again)).status).toBe('PAYMENT_DECLINED');
  });

  it('declined before payBy was kept get one from their last decline', async () => {
    const decline = (at: Date) => ({ from: 'CHARGING' as const, to: 'PAYMENT_DECLINED' as const, at, detail: 'card declined', sentAt: at });
    const longAgo = await declined({ transitions: [decline(ago(3 * HOUR))] });
    const lately = await declined({ transitions: [decline(ago(3 * HOUR)), decline(ago(60_000))] });

    await claimUnpaidOrders(store, 2 * HOUR, silentLogger);

    expect((await nextAttempt(longAgo))?.payload.kind).toBe('expire');
    expect(await nextAttempt(lately)).toBeNull();
    const stillDeclined = await reread(lately);
    expect(Math.abs(stillDeclined.payBy!.getTime() - (Date.now() - 60_000 + 2 * HOUR))).toBeLessThan(10_000);
  });

  it('say how long their customer had in words', () => {
    expect([72 * HOUR, HOUR, 30 * 60_000, 4_000, 90_000].map(spoken)).toEqual(['72 hours', '1 hour', '30 minutes', '4 seconds', '90 seconds']);
  });
});
