import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { queueDepthResolvers } from '../../kit/queue.ts';
import { shipmentStageResolvers } from '../../pipeline/shipment-stage.ts';
import type { Context } from './context.ts';
import type { Resolvers } from './generated/resolvers-types.ts';

const stage = (context: Context) => shipmentStageResolvers(() => context.store);

export const resolvers: Resolvers = {
  QueueDepth: queueDepthResolvers,
  Query: {
    rebinShipment: (_, { id }, context) => stage(context).get(id),
    rebinQueue: (_, __, context) => stage(context).depth(context),
  },
  Mutation: {
    enqueueForRebin: (_, { shipment }, context) => stage(context).enqueue(shipment as ShipmentPayload),
    applyRebinAddressChange: (_, { change, dryRun }, context) => stage(context).applyAddressChange(change, dryRun),
    applyRebinCancellation: (_, { cancellation }, context) => stage(context).applyCancellation(cancellation),
    resolveRebinException: (_, { queue, elementId, action }, context) => stage(context).resolveException(queue, elementId, action),
  },
  StageShipment: shipmentStageResolvers(() => undefined as never).element,
};
