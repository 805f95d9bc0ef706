import { pageRequest } from '../../kit/paging.ts';
import { queueDepthResolvers } from '../../kit/queue.ts';
import { codeFilter } from '../../pipeline/bin-location.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { shipmentStageResolvers } from '../../pipeline/shipment-stage.ts';
import type { Context } from './context.ts';
import type { Resolvers } from './generated/resolvers-types.ts';

const stage = (context: Context) => shipmentStageResolvers(() => context.store);

export const resolvers: Resolvers = {
  QueueDepth: queueDepthResolvers,
  Query: {
    pickingShipment: (_, { id }, context) => stage(context).get(id),
    pickingQueue: (_, __, context) => stage(context).depth(context),
    picklists: (_, { distributionCenter, first, after }, { store }) =>
      store.released({ distributionCenter: codeFilter(distributionCenter, 'distributionCenter') }, pageRequest('picklists', { first, after })),
  },
  Mutation: {
    enqueueForPicking: (_, { shipment }, context) => stage(context).enqueue(shipment as ShipmentPayload),
    applyPickingAddressChange: (_, { change, dryRun }, context) => stage(context).applyAddressChange(change, dryRun),
    applyPickingCancellation: (_, { cancellation }, context) => stage(context).applyCancellation(cancellation),
    resolvePickingException: (_, { queue, elementId, action }, context) => stage(context).resolveException(queue, elementId, action),
  },
  StageShipment: shipmentStageResolvers(() => undefined as never).element,
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    picklists: (order, _, { picklistsByOrder }) => picklistsByOrder.load(order.id),
  },
  Picklist: {
    id: (picklist) => picklist._id,
    releasedAt: (picklist) => (picklist.releasedAt ?? picklist.createdAt).toISOString(),
  },
};
