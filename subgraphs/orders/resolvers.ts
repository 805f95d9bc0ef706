import { parseId } from '../../kit/ids.ts';
import { pageSize } from '../../kit/paging.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import { placeOrder } from './place-order.ts';

export const resolvers: Resolvers = {
  Query: {
    order: (_, { id }, { orderById }) => orderById.load(id),
    orders: (_, { customerId, first }, { store }) => {
      if (customerId) parseId(customerId, 'customerId');
      return store.list({ customerId: customerId ?? undefined }, pageSize(first));
    },
  },
  Mutation: {
    placeOrder: (_, { input }, { directory, store }) => placeOrder(input, directory, store),
  },
  Order: {
    __resolveReference: (ref, { orderById }) => orderById.load(ref.id),
    id: (order) => order._id.toHexString(),
    customer: (order) => ({ id: order.customerId }),
    placedAt: (order) => order.placedAt.toISOString(),
  },
  OrderLine: {
    product: (line) => ({ sku: line.sku }),
    lineTotal: (line) => ({ amount: line.unitPrice.amount * line.quantity, currency: line.unitPrice.currency }),
  },
  Customer: {
    __resolveReference: (ref) => ({ id: ref.id }),
    orders: (customer, { first }, { store }) => store.list({ customerId: customer.id }, pageSize(first)),
  },
};
