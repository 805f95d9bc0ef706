import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { queueDepthResolvers } from '../../kit/queue.ts';
import { shipmentStageResolvers } from '../../pipeline/shipment-stage.ts';
import type { Context } from './context.ts';
import type { Resolvers } from './generated/resolvers-types.ts';

const stage = (context: Context) => shipmentStageResolvers(() => context.store);

export const resolvers: Resolvers = {
  QueueDepth: queueDepthResolvers,
  Query: {
    shippingShipment: (_, { id }, context) => stage(context).get(id),
    shippingQueue: (_, __, context) => stage(context).depth(context),
    shipment: (_, { id }, { store }) => store.get(id),
  },
  Mutation: {
    enqueueForShipping: (_, { shipment }, context) => stage(context).enqueue(shipment as ShipmentPayload),
    applyShippingAddressChange: (_, { change, dryRun }, context) => stage(context).applyAddressChange(change, dryRun),
    applyShippingCancellation: (_, { cancellation }, context) => stage(context).applyCancellation(cancellation),
    resolveShippingException: (_, { queue, elementId, action }, context) => stage(context).resolveException(queue, elementId, action),
  },
  StageShipment: shipmentStageResolvers(() => undefined as never).element,
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    shipments: (order, _, { shippedByOrder }) => shippedByOrder.load(order.id),
  },
  Shipment: {
    // Tracking's events point at shipments by id; they resolve here once the shipment has left.
    __resolveReference: (ref, { shippedById }) => shippedById.load(ref.id),
    id: (doc) => doc._id,
    shippedAt: (doc) => doc.shippedAt.toISOString(),
  },
};
