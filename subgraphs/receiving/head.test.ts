import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabases } from '../../test/harness.ts';
import { ReceivingStore } from './store.ts';

// Receipts are worked strictly in arrival order: the head is the oldest receipt not finished,
// whatever status it is in. A worker leasing it and giving it back, parking it, or a person
// retrying it moves it between statuses; the head must never skip it while it does.

const dbs = new TestDatabases();
let db: Db;
beforeAll(async () => {
  db = await dbs.create('receiving_head');
});
afterAll(() => dbs.cleanup());

const receipt = (receiptId: string) => ({ receiptId, vendorId: null, sku: 'MUG-001', distributionCenter: 'LHR1', bin: 'A-01', quantity: 1 });

describe('the head of the receiving queue', () => {
  it('is the oldest unfinished receipt while that one changes status, never a later one', async () => {
    const store = new ReceivingStore(db);
    await store.ensureIndexes();
    await store.receipts.enqueue('older', receipt('older'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.receipts.enqueue('newer', receipt('newer'));
    const heads: string[] = [];
    for (const [from, to] of [['READY', 'LEASED'], ['FAILED', 'READY'], ['LEASED', 'FAILED']] as const) {
      let stop = false;
      const flipping = (async () => {
        for (let status: string = from; !stop; status = status === from ? to : from) {
          await store.receipts.items.updateOne({ _id: 'older' }, { $set: { status: status as 'READY' } });
        }
      })();
      for (let i = 0; i < 150; i++) heads.push((await store.head())?._id ?? 'none');
      stop = true;
      await flipping;
    }
    expect(heads.filter((id) => id !== 'older')).toEqual([]);
  });
});
