import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { ordersWorkerEnv } from './env.ts';
import { OrderStore } from './store.ts';
import { startOrdersWorker } from './worker.ts';

const env = ordersWorkerEnv();
await runStageWorker('orders', (db) => new OrderStore(db), (store, clients, logger) => startOrdersWorker(store, clients, logger, env));
