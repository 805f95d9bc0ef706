import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { ReceivingStore } from './store.ts';
import { startReceivingWorker } from './worker.ts';

await runStageWorker('receiving', (db) => new ReceivingStore(db), (store, clients, logger) => startReceivingWorker(store, clients, logger));
