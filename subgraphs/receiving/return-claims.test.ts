import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabases } from '../../test/harness.ts';
import { ReceivingStore, UNRECORDED_CLAIM_HOLDS_MS, type ReceiptPayload } from './store.ts';

// One receipt brings a customer's return back. A receipt that claimed it but does not bring it
// (a person cancelled it when it was parked, or it was refused after its claim) must not keep the
// return from coming back with another receipt: the return would wait for ever, never refunded.

const dbs = new TestDatabases();
let db: Db;
let store: ReceivingStore;
beforeAll(async () => {
  db = await dbs.create('receiving_claims');
  store = new ReceivingStore(db);
  await store.ensureIndexes();
});
afterAll(() => dbs.cleanup());

let n = 0;
const newReturn = () => `${'ab'.repeat(12)}-return-${String(++n).padStart(12, '0')}`;
const receipt = (receiptId: string, returnId?: string): ReceiptPayload => ({
  receiptId,
  vendorId: null,
  sku: 'BOOK-002',
  distributionCenter: 'LHR1',
  bin: 'A-02',
  quantity: 1,
  ...(returnId ? { returnId } : {}),
});

describe("a return's receipt", () => {
  it('holds the return while it is queued, stocked or parked: another receipt is refused', async () => {
    const returnId = newReturn();
    expect(await store.claimReturn(returnId, 'first')).toBe('first');
    await store.receipts.enqueue('first', receipt('first', returnId));
    expect(await store.claimReturn(returnId, 'second')).toBe('first');
    // Asked again by its own receipt (a retried request): still its own.
    expect(await store.claimReturn(returnId, 'first')).toBe('first');
  });

  it('gives the return up once a person cancelled it, so the items can come back with another', async () => {
    const returnId = newReturn();
    expect(await store.claimReturn(returnId, 'parked')).toBe('parked');
    await store.receipts.enqueue('parked', receipt('parked', returnId));
    await store.receipts.cancel('parked');
    expect(await store.claimReturn(returnId, 'again')).toBe('again');
    await store.receipts.enqueue('again', receipt('again', returnId));
    // The one that took it over holds it now, and a third is refused.
    expect(await store.claimReturn(returnId, 'third')).toBe('again');
  });

  it('never held the return when its request was refused after the claim (its receipt id was another receipt\'s)', async () => {
    const returnId = newReturn();
    // Two requests under one receipt id at once: this one claimed the return, the other was recorded.
    expect(await store.claimReturn(returnId, 'shared')).toBe('shared');
    await store.receipts.enqueue('shared', receipt('shared'));
    expect(await store.claimReturn(returnId, 'proper')).toBe('proper');
  });

  it('holds the return while its request may still record it, and not once that request must have died', async () => {
    const returnId = newReturn();
    expect(await store.claimReturn(returnId, 'in-flight')).toBe('in-flight');
    expect(await store.claimReturn(returnId, 'other')).toBe('in-flight');
    const dead = newReturn();
    await db.collection('return_receipts').insertOne({ _id: dead as never, receiptId: 'died', claimedAt: new Date(Date.now() - UNRECORDED_CLAIM_HOLDS_MS - 1_000) });
    expect(await store.claimReturn(dead, 'other')).toBe('other');
  });

  it('is taken over by one receipt of many at once', async () => {
    const returnId = newReturn();
    await store.claimReturn(returnId, 'cancelled');
    await store.receipts.enqueue('cancelled', receipt('cancelled', returnId));
    await store.receipts.cancel('cancelled');
    const holders = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claimReturn(returnId, `racer-${i}`)));
    expect(new Set(holders).size).toBe(1);
    expect(holders[0]).toMatch(/^racer-/);
  });
});
