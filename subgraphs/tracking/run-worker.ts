import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { startArchiver } from './archiver.ts';
import { trackingEnv } from './env.ts';
import { TrackingStore } from './store.ts';

// The tracking worker moves fulfilled orders' histories to the warehouse.
const env = trackingEnv();
await runStageWorker(
  'tracking',
  (db) => new TrackingStore(db, env.warehouseDbName),
  (store, _clients, logger) => startArchiver(store, env, logger),
);
