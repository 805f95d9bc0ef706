import { describe, expect, it } from 'vitest';
import { isOrderChargeId, looksLikeOrderChargeId, orderChargeId } from './messages.ts';

// Payments tells an order's own charges (those the orders service asked for) from charges a
// person made naming the order by their id: exactly as orders writes it, and nothing like it
// may be used by anyone else.

const orderId = '6b15ed431f648c9ef749f84e';

describe("an order's charge id", () => {
  it('is the order\'s own only exactly as the orders service writes it', () => {
    expect(isOrderChargeId(orderChargeId(orderId, 1), orderId)).toBe(true);
    expect(isOrderChargeId(orderChargeId(orderId, 12), orderId)).toBe(true);
    for (const other of [`${orderId}:charge:3 `, `${orderId}:charge:+2`, `${orderId}:charge:\uFF12`, `${orderId}:charge:`, `${orderId}:charge:02`, `${orderId.toUpperCase()}:charge:2`, `x${orderId}:charge:2`]) {
      expect(isOrderChargeId(other, orderId), JSON.stringify(other)).toBe(false);
    }
    expect(isOrderChargeId(orderChargeId('64b0000000000000000000aa', 1), orderId)).toBe(false);
  });

  it('is looked like by anything that starts as one does, in any case, spacing or width', () => {
    for (const id of [`${orderId}:charge:3 `, `${orderId}:charge:`, `${orderId.toUpperCase()}:charge:2`, ` ${orderId} : charge : 2`, `${orderId}\uFF1Acharge:2`]) {
      expect(looksLikeOrderChargeId(id), JSON.stringify(id)).toBe(true);
    }
    for (const id of ['refund-7', `fee-${orderId}`, `${orderId}:fee:1`]) expect(looksLikeOrderChargeId(id), id).toBe(false);
  });
});
