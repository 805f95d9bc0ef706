import { MongoClient, ObjectId, type Document } from 'mongodb';
import { CUSTOMER_LISTS, OWNER_TICKS, ownerSlotKey, slotEntries, slotOf, tickList, type SlotDoc } from '../kit/slot-lists.ts';
import { insertIgnoringDuplicates } from '../kit/mongo.ts';

// Test data for the list benchmark, written straight into the orders service's database:
// setup, not a service, so it may (nothing else does). Each order is a copy of a real one
// placed through the graph, for another customer, placed at another time, already SHIPPED,
// with its time slot named in the lists it is in and its day in its customer's list, as the orders
// service does (kit/slot-lists.ts).

/** Customers the seeded orders belong to: about ten orders each, like a shop's regulars. */
const ORDERS_PER_CUSTOMER = 10;
/** One customer (a business buying for its staff) places one order in twenty: 5,000 of 100,000. */
export const BUSY_CUSTOMER = `ee${'f'.repeat(22)}`;
const BUSY_SHARE = 20;

/**
 * Adds copies of `template` until the orders collection holds `total` orders; returns how many it
 * added and how long it took. They are placed at random over the past year, or with `perSecond`,
 * that many a second back from a minute ago: a busy shop's last hours, whose lists' slots are full.
 */
export async function seedOrders(mongoUri: string, dbName: string, templateId: string, total: number, perSecond?: number): Promise<{ added: number; seconds: number }> {
  const client = await MongoClient.connect(mongoUri);
  try {
    const orders = client.db(dbName).collection('orders');
    const slots = client.db(dbName).collection<SlotDoc>('order_list_slots');
    const customerDays = client.db(dbName).collection<SlotDoc>('customer_order_days');
    const template = await orders.findOne({ _id: new ObjectId(templateId) });
    if (!template) throw new Error(`no order ${templateId} to copy`);
    const existing = await orders.countDocuments();
    const missing = total - existing;
    const started = performance.now();
    const named = new Set<number>();
    const customers = Math.max(1, Math.ceil(total / ORDERS_PER_CUSTOMER));
    const yearMs = 365 * 24 * 3600 * 1000;
    for (let done = 0; done < missing; ) {
      const batch: Document[] = [];
      const slotsOfBatch = new Set<number>();
      const daysOfBatch: SlotDoc[] = [];
      for (; batch.length < 2_000 && done < missing; done++) {
        const placedAt = new Date(Date.now() - 60_000 - (perSecond ? Math.floor(((existing + done) * 1000) / perSecond) : Math.floor(Math.random() * yearMs)));
        if (!named.has(slotOf(placedAt))) slotsOfBatch.add(slotOf(placedAt));
        named.add(slotOf(placedAt));
        const { _id, ...rest } = template;
        const customerId = done % BUSY_SHARE === 0 ? BUSY_CUSTOMER : syntheticCustomer(done % customers);
        const day = slotOf(placedAt, CUSTOMER_LISTS);
        const tick = slotOf(placedAt, OWNER_TICKS);
        daysOfBatch.push(...slotEntries(customerId, day, CUSTOMER_LISTS), ...slotEntries(tickList(customerId), tick, OWNER_TICKS));
        batch.push({
          ...rest,
          _id: new ObjectId(),
          idempotencyKey: new ObjectId().toHexString(),
          customerId,
          status: 'SHIPPED',
          stage: null,
          placedAt,
          placedSlot: slotOf(placedAt),
          customerDay: ownerSlotKey(customerId, day),
          customerTick: ownerSlotKey(customerId, tick),
          updatedAt: placedAt,
          version: 1,
        });
      }
      const entries = [...slotsOfBatch].flatMap((slot) => [...slotEntries('*', slot), ...slotEntries('SHIPPED', slot)]);
      await insertIgnoringDuplicates(slots, [...new Map(entries.map((entry) => [entry._id, entry])).values()]);
      await insertIgnoringDuplicates(customerDays, [...new Map(daysOfBatch.map((entry) => [entry._id, entry])).values()]);
      await orders.insertMany(batch, { ordered: false });
    }
    return { added: Math.max(0, missing), seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.close();
  }
}

/** Ids no real customer has (the demo's are small numbers): the seeded orders never show up in the benchmark customer's list. */
function syntheticCustomer(n: number): string {
  return `ee${n.toString(16).padStart(22, '0')}`;
}
