import { badInput, notFound } from '../../kit/errors.ts';
import { pageSize } from '../../kit/paging.ts';
import { queueDepth } from '../../kit/queue.ts';
import type { Resolvers } from './generated/resolvers-types.ts';

const CODE = /^[A-Z0-9][A-Z0-9-]{0,39}$/;
const statusOf = { READY: 'QUEUED', LEASED: 'PROCESSING', DONE: 'DONE', FAILED: 'FAILED', CANCELLED: 'CANCELLED' } as const;

export const resolvers: Resolvers = {
  Query: {
    receipt: (_, { id }, { store }) => store.receipts.get(id),
    receipts: (_, { first }, { store }) => store.list(pageSize(first, 50, 500)),
    receivingQueue: (_, __, { store }) => queueDepth(store.receipts as never),
  },
  Mutation: {
    receiveItems: async (_, { input }, { store }) => {
      const sku = input.sku.trim().toUpperCase();
      const distributionCenter = input.distributionCenter.trim().toUpperCase();
      const bin = input.bin.trim().toUpperCase();
      for (const [field, value] of Object.entries({ sku, distributionCenter, bin })) {
        if (!CODE.test(value)) throw badInput(`${field} must be letters, digits or dashes`, field);
      }
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
    status: (item) => statusOf[item.status],
    receivedAt: (item) => item.enqueuedAt.toISOString(),
    processedAt: (item) => (item.result ? new Date(item.result.processedAt).toISOString() : null),
  },
};
