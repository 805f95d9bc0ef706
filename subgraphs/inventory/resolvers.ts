import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { pageRequest } from '../../kit/paging.ts';
import { clientKey } from '../../kit/storable-text.ts';
import { binLocation, codeFilter } from '../../pipeline/bin-location.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import { MAX_QUANTITY } from './store.ts';


export const resolvers: Resolvers = {
  Query: {
    binItems: (_, { sku, distributionCenter, first, after }, { store }) =>
      store.search({ sku: codeFilter(sku, 'sku'), distributionCenter: codeFilter(distributionCenter, 'distributionCenter') }, pageRequest('binItems', { first, after }, 50, 500)),
    binItem: (_, args, { store }) => {
      const { sku, distributionCenter, bin } = binLocation(args);
      return store.binItem(distributionCenter, bin, sku);
    },
  },
  Mutation: {
    adjustStock: async (_, { input }, { store, products }) => {
      const { sku, distributionCenter, bin } = binLocation(input);
      if (!Number.isInteger(input.delta) || input.delta === 0) throw badInput('delta must be a non-zero whole number', 'delta');
      if (Math.abs(input.delta) > MAX_QUANTITY) throw badInput(`delta must be between -${MAX_QUANTITY} and ${MAX_QUANTITY}`, 'delta');
      const key = input.idempotencyKey == null ? undefined : clientKey(input.idempotencyKey, 'idempotencyKey');
      // Units are added only of what the catalog sells; removing stays open, so stock of a sku
      // the catalog no longer has (or never had) can still be taken out.
      if (input.delta > 0 && !(await products.exists(sku))) throw notFound(`no product with sku ${sku}`, { field: 'sku' });
      const { outcome, item } = await store.adjust({ sku, distributionCenter, bin }, input.delta, key);
      if (outcome === 'adjusted' || outcome === 'already') return item;
      if (outcome === 'conflict') throw clientError(ErrorCode.CONFLICT, 'this idempotencyKey was already used for another delta in this bin', { field: 'idempotencyKey' });
      if (input.delta > 0) {
        throw badInput(`adding ${input.delta} units of ${sku} would take bin ${distributionCenter}/${bin} over the maximum of ${MAX_QUANTITY} units`, 'delta');
      }
      throw clientError(ErrorCode.CONFLICT, `bin ${distributionCenter}/${bin} does not hold ${-input.delta} unreserved units of ${sku}`, { field: 'delta' });
    },

    reserveStock: async (_, { input }, { store }) => {
      if (input.lines.length === 0) throw badInput('a reservation needs at least one line', 'lines');
      for (const line of input.lines) {
        if (!Number.isInteger(line.quantity) || line.quantity < 1) throw badInput(`quantity of ${line.sku} must be positive`, 'lines');
      }
      return store.reserve(input.reservationId, input.lines);
    },

    commitReservation: (_, { reservationId, distributionCenter }, { store }) => store.commit(reservationId, distributionCenter),
    releaseReservation: (_, { reservationId, distributionCenter }, { store }) => store.releaseReservation(reservationId, distributionCenter ?? null),

    receiveStock: async (_, { input }, { store }) => {
      if (!Number.isInteger(input.quantity) || input.quantity < 1) throw badInput('quantity must be positive', 'quantity');
      const { sku, distributionCenter, bin } = binLocation(input);
      const { outcome, item } = await store.receive(input.receiptId, { sku, distributionCenter, bin }, input.quantity);
      if (outcome === 'over') throw badInput(`receiving ${input.quantity} units would take bin ${distributionCenter}/${bin} over the maximum of ${MAX_QUANTITY}`, 'quantity');
      return item!;
    },
  },
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    reservation: (order, _, { reservationById }) => reservationById.load(order.id),
  },
  BinItem: {
    stockedReceipts: (item) => item.recentReceipts ?? [],
  },
  Reservation: {
    id: (reservation) => reservation._id,
    createdAt: (reservation) => reservation.createdAt.toISOString(),
  },
  Product: {
    __resolveReference: (ref) => ({ sku: ref.sku }),
    stock: (product, _, { stockBySku }) => stockBySku.load(product.sku),
    binItems: (product, _, { binItemsBySku }) => binItemsBySku.load(product.sku),
  },
};
