import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { ordersWorkerEnv } from './env.ts';
import { OrderStore } from './store.ts';
import { startOrdersWorker } from './worker.ts';

await runStageWorker('orders', (db) => new OrderStore(db), startOrdersWorker, ordersWorkerEnv);
