import { runService } from '../../kit/service.ts';
import { serviceClients } from '../../pipeline/services.ts';
import { ReceivingStore } from './store.ts';
import { startReceivingWorker } from './worker.ts';

await runService(
  'receiving',
  0,
  async ({ db, logger }) => {
    const store = new ReceivingStore(db);
    await store.ensureIndexes();
    const clients = serviceClients();
    const worker = startReceivingWorker(store, clients, logger);
    return { close: async () => (await worker.stop(), await clients.close()) };
  },
  undefined,
  'worker',
);
