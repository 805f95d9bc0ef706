import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { sameRequestOrConflict } from '../../kit/idempotency.ts';
import { parseId } from '../../kit/ids.ts';
import { pageRequest } from '../../kit/paging.ts';
import { queueDepth, queueDepthResolvers } from '../../kit/queue.ts';
import { oneAtATimePerKey } from '../../kit/one-at-a-time.ts';
import { binLocation, MAX_BIN_QUANTITY } from '../../pipeline/bin-location.ts';
import { stageStatusOf } from '../../pipeline/shipment-stage.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import type { ReceivingDirectory } from './dependencies.ts';
import type { ReceiptItem, ReceiptPayload, ReceivingStore } from './store.ts';
import { clientKey } from '../../kit/storable-text.ts';

const MAX_RECEIPT_ID = 100;

const sameReceipt = (existing: ReceiptItem, payload: ReceiptPayload): ReceiptItem => {
  sameRequestOrConflict(existing.payload, payload, `receipt ${payload.receiptId}`, 'receiptId');
  return existing;
};

/**
 * A receipt that brings a customer's return back stocks exactly what the return names, once:
 * refused before anything is stocked when orders knows no such return, when the sku or quantity
 * differ, or when the return came back already (with another receipt).
 */
async function checkReturn(payload: ReceiptPayload, store: ReceivingStore, directory: ReceivingDirectory): Promise<void> {
  const returnId = payload.returnId!;
  const wanted = await directory.customerReturn(returnId, returnId.slice(0, 24));
  if (!wanted) throw notFound(`no return ${returnId}`, { field: 'returnId' });
  if (wanted.sku !== payload.sku) throw badInput(`return ${returnId} is for ${wanted.sku}, not ${payload.sku}`, 'sku');
  if (wanted.quantity !== payload.quantity) throw badInput(`return ${returnId} is for ${wanted.quantity} unit(s), not ${payload.quantity}`, 'quantity');
  if (wanted.status !== 'AWAITING_ITEM') throw clientError(ErrorCode.CONFLICT, `return ${returnId} has come back already`, { field: 'returnId' });
  const holder = await store.claimReturn(returnId, payload.receiptId);
  if (holder !== payload.receiptId) {
    // The holder may not be stocked yet, or not even recorded (its request still under way, or dead: then it lets go after 60 s).
    throw clientError(ErrorCode.CONFLICT, `return ${returnId} is claimed by receipt ${holder}, which brings it back (a receipt cancelled, or never recorded, lets it go)`, { field: 'returnId' });
  }
}

const acceptingInto = oneAtATimePerKey();

/**
 * Refused now rather than parked later: a receipt inventory refuses holds up every receipt behind
 * it. Counts what the bin holds and what receipts accepted before this one will add. Not covered:
 * two receiving processes accepting into one bin at the same moment, and receipts taken while
 * inventory could not be asked; such a receipt is parked when it comes up, as before.
 */
async function checkRoom(payload: ReceiptPayload, store: ReceivingStore, directory: ReceivingDirectory): Promise<void> {
  const { sku, distributionCenter, bin, quantity } = payload;
  const [held, live] = await Promise.all([directory.binContents({ sku, distributionCenter, bin }), store.liveInto({ sku, distributionCenter, bin })]);
  if (held === null) return;
  // A receipt inventory has counted but this service has not marked done yet is in both: once.
  const stocked = new Set(held.stockedReceipts);
  const queued = live.filter((receipt) => !stocked.has(receipt.receiptId)).reduce((sum, receipt) => sum + receipt.quantity, 0);
  if (held.quantity + queued + quantity <= MAX_BIN_QUANTITY) return;
  const waiting = queued > 0 ? ` and receipts waiting to be stocked bring ${queued} more` : '';
  throw badInput(`bin ${distributionCenter}/${bin} holds ${held.quantity} units of ${sku}${waiting}; ${quantity} more would take it over the maximum of ${MAX_BIN_QUANTITY}`, 'quantity');
}

export const resolvers: Resolvers = {
  QueueDepth: queueDepthResolvers,
  Query: {
    receipt: (_, { id }, { store }) => store.receipts.get(id),
    receipts: (_, { first, after }, { store }) => store.list(pageRequest('receipts', { first, after }, 50, 500)),
    receivingQueue: (_, __, context) => queueDepth(context.store.receipts as never, context),
  },
  Mutation: {
    receiveItems: async (_, { input }, { store, directory }) => {
      const { sku, distributionCenter, bin } = binLocation(input);
      if (!Number.isInteger(input.quantity) || input.quantity < 1) throw badInput('quantity must be positive', 'quantity');
      clientKey(input.receiptId, 'receiptId', MAX_RECEIPT_ID);
      const vendorId = input.vendorId ? parseId(input.vendorId, 'vendorId').toHexString() : null;
      if (input.returnId && !/^[0-9a-f]{24}-return-[0-9a-f]{12}$/.test(input.returnId)) throw badInput(`${input.returnId} is not a return id`, 'returnId');
      const payload: ReceiptPayload = { receiptId: input.receiptId, vendorId, sku, distributionCenter, bin, quantity: input.quantity, ...(input.returnId ? { returnId: input.returnId } : {}) };
      // A retry of a receipt already recorded answers it as it is; another receipt under its id is refused.
      const existing = await store.receipts.get(input.receiptId);
      if (existing) return sameReceipt(existing, payload);
      const [productExists, vendorExists] = await Promise.all([directory.productExists(sku), payload.vendorId ? directory.vendorExists(payload.vendorId) : true]);
      if (!productExists) throw notFound(`no product with sku ${sku}`, { field: 'sku' });
      if (!vendorExists) throw notFound(`no vendor ${payload.vendorId}`, { field: 'vendorId' });
      // One receipt into a bin at a time: each counts the ones accepted before it.
      return acceptingInto(`${distributionCenter}/${bin}/${sku}`, async () => {
        // The same receipt sent twice at once: the second is answered as the first was taken.
        const taken = await store.receipts.get(input.receiptId);
        if (taken) return sameReceipt(taken, payload);
        await checkRoom(payload, store, directory);
        // Last, as it claims the return for this receipt.
        if (payload.returnId) await checkReturn(payload, store, directory);
        const { item, created } = await store.receipts.enqueue(input.receiptId, payload);
        return created ? item : sameReceipt(item, payload);
      });
    },
    resolveReceivingException: async (_, { queue, elementId, action }, { store }) => {
      if (queue !== 'receipts') throw notFound(`no queue named ${queue}`, { field: 'queue' });
      // Done, but orders refused the return it reported: sent again, or given up.
      if (await store.receipts.resolveRefused(elementId, action)) return true;
      const item = action === 'RETRY' ? await store.receipts.retry(elementId) : await store.receipts.cancel(elementId);
      if (!item) throw notFound(`no parked receipt ${elementId}`, { field: 'elementId' });
      return true;
    },
  },
  Receipt: {
    id: (item) => item._id,
    vendorId: (item) => item.payload.vendorId,
    sku: (item) => item.payload.sku,
    distributionCenter: (item) => item.payload.distributionCenter,
    bin: (item) => item.payload.bin,
    quantity: (item) => item.payload.quantity,
    status: (item) => stageStatusOf[item.status],
    receivedAt: (item) => item.enqueuedAt.toISOString(),
    processedAt: (item) => (item.result ? new Date(item.result.processedAt).toISOString() : null),
  },
};
