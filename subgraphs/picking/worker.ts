import type { Logger } from '../../kit/logger.ts';
import { startOutboxRelay } from '../../kit/relay.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import { startAggregator, type AggregationRules } from './aggregator.ts';
import type { PickingStore } from './store.ts';

export function startPickingWorker(store: PickingStore, clients: ServiceClients, logger: Logger, rules: AggregationRules) {
  const relay = startOutboxRelay({ queues: [store.shipments, store.changes.reports], clients: (name) => clients.get(name), logger });
  const aggregator = startAggregator(store, rules, logger, 100);
  return {
    async stop() {
      await aggregator.stop();
      await relay.stop();
    },
  };
}
