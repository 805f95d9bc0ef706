import { badInput, notFound } from '../../kit/errors.ts';
import { pageRequest } from '../../kit/paging.ts';
import { queueDepth } from '../../kit/queue.ts';
import { binLocation } from '../../pipeline/bin-location.ts';
import { stageStatusOf } from '../../pipeline/shipment-stage.ts';
import type { Resolvers } from './generated/resolvers-types.ts';


export const resolvers: Resolvers = {
  Query: {
    receipt: (_, { id }, { store }) => store.receipts.get(id),
    receipts: (_, { first, after }, { store }) => store.list(pageRequest('receipts', { first, after }, 50, 500)),
    receivingQueue: (_, __, { store }) => queueDepth(store.receipts as never),
  },
  Mutation: {
    receiveItems: async (_, { input }, { store }) => {
      const { sku, distributionCenter, bin } = binLocation(input);
      if (!Number.isInteger(input.quantity) || input.quantity < 1) throw badInput('quantity must be positive', 'quantity');
      if (!input.receiptId.trim()) throw badInput('receiptId must not be empty', 'receiptId');
      const payload = { receiptId: input.receiptId, vendorId: input.vendorId ?? null, sku, distributionCenter, bin, quantity: input.quantity };
      return (await store.receipts.enqueue(input.receiptId, payload)).item;
    },
    resolveReceivingException: async (_, { queue, elementId, action }, { store }) => {
      if (queue !== 'receipts') throw notFound(`no queue named ${queue}`, { field: 'queue' });
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
