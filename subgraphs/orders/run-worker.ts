import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { ordersWorkerEnv } from './env.ts';
import { OrderStore } from './store.ts';
import { startOrdersWorker } from './worker.ts';

// With tracking: the coordinator tells it what it did to an address change before it hands the
// shipment on (coordinator.ts, forward), and outcomes go to it at once, not by the relay.
await runStageWorker('orders', (db, clients) => new OrderStore(db, { tracking: clients.get('tracking') }), startOrdersWorker, ordersWorkerEnv);
