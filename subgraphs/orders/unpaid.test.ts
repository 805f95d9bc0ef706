import type { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, TestDatabases } from '../../test/harness.ts';
import { startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import { chargeStepId, transitionsOf, type OrderDoc, type OrderStore } from './store.ts';
import { cancelUnpaidOrders, spoken } from './unpaid.ts';

// The orders worker's expiry of declined orders nobody paid again, against the service's real
// database. No worker runs here, so a queued charge step stays where the test puts it.

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

describe('declined orders left unpaid', () => {
  it('are cancelled once past their payBy, with a reason the customer can read, and nothing is refunded', async () => {
    const expired = await declined({ payBy: ago(1_000) });
    const waiting = await declined({ payBy: new Date(Date.now() + HOUR) });

    await cancelUnpaidOrders(store, 3 * HOUR, silentLogger);

    const cancelled = await reread(expired);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.cancellation).toMatchObject({ reason: 'not paid within 3 hours of the card being declined', refund: null });
    expect(cancelled.cancellation!.concludedAt).toBeInstanceOf(Date);
    expect((await reread(waiting)).status).toBe('PAYMENT_DECLINED');
  });

  it('are left alone while a payment of theirs waits to start (it finds them as it left them)', async () => {
    const paying = await declined({ payBy: ago(1_000) });
    const id = paying._id.toHexString();
    await store.coordination.enqueue(chargeStepId(id, 2), { kind: 'charge', orderId: id });

    await cancelUnpaidOrders(store, HOUR, silentLogger);

    expect((await reread(paying)).status).toBe('PAYMENT_DECLINED');
  });

  it('are left alone when paid between the look and the write of the cancellation (checked in its compare-and-swap)', async () => {
    const paying = await declined({ payBy: ago(1_000) });
    // The payment's step moves the order on just after the cancellation last read it.
    let paid = false;
    const racing = new Proxy(store, {
      get(target, property) {
        if (property === 'findById') {
          return async (id: ObjectId) => {
            const order = await target.findById(id);
            if (!paid && id.equals(paying._id)) {
              paid = true;
              await target.change(id, () => ({ status: 'CHARGING', stage: 'payments', chargeAttempts: 2, transition: { detail: 'the customer paid again' } }));
            }
            return order;
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

    await cancelUnpaidOrders(racing, HOUR, silentLogger);

    expect(paid).toBe(true);
    const after = await reread(paying);
    expect(after.status).toBe('CHARGING');
    expect(after.cancellation ?? null).toBeNull();
  });

  it('are cancelled once however many workers sweep at the same moment', async () => {
    const expired = await declined({ payBy: ago(1_000) });

    await Promise.all([1, 2, 3].map(() => cancelUnpaidOrders(store, HOUR, silentLogger)));

    const cancelled = await reread(expired);
    expect(cancelled.status).toBe('CANCELLED');
    expect(transitionsOf(cancelled).filter((move) => move.to === 'CANCELLED')).toHaveLength(1);
  });

  it('declined before payBy was kept get one from their last decline', async () => {
    const decline = (at: Date) => ({ from: 'CHARGING' as const, to: 'PAYMENT_DECLINED' as const, at, detail: 'card declined', sentAt: at });
    const longAgo = await declined({ transitions: [decline(ago(3 * HOUR))] });
    const lately = await declined({ transitions: [decline(ago(3 * HOUR)), decline(ago(60_000))] });

    await cancelUnpaidOrders(store, 2 * HOUR, silentLogger);

    expect((await reread(longAgo)).status).toBe('CANCELLED');
    const stillDeclined = await reread(lately);
    expect(stillDeclined.status).toBe('PAYMENT_DECLINED');
    expect(Math.abs(stillDeclined.payBy!.getTime() - (Date.now() - 60_000 + 2 * HOUR))).toBeLessThan(10_000);
  });

  it('say how long their customer had in words', () => {
    expect([72 * HOUR, HOUR, 30 * 60_000, 4_000, 90_000].map(spoken)).toEqual(['72 hours', '1 hour', '30 minutes', '4 seconds', '90 seconds']);
  });
});
