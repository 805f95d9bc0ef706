import { runService } from '../../kit/service.ts';
import { serviceClients } from '../../pipeline/services.ts';
import { OrderStore } from './store.ts';
import { startOrdersWorker } from './worker.ts';

await runService(
  'orders',
  0,
  async ({ db, logger }) => {
    const store = new OrderStore(db);
    await store.ensureIndexes();
    const clients = serviceClients();
    const worker = startOrdersWorker(store, clients, logger);
    return {
      close: async () => {
        await worker.stop();
        await clients.close();
      },
    };
  },
  undefined,
  'worker',
);
