import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { stageWorkEnv } from '../../pipeline/stage-env.ts';
import { ShippingStore } from './store.ts';
import { startShippingWorker } from './worker.ts';

await runStageWorker('shipping', (db) => new ShippingStore(db), startShippingWorker, () => stageWorkEnv('SHIPPING', 300));
