import { runService } from '../../kit/service.ts';
import { stageWorkEnv } from '../../pipeline/stage-env.ts';
import { serviceClients } from '../../pipeline/services.ts';
import { ShippingStore } from './store.ts';
import { startShippingWorker } from './worker.ts';

await runService(
  'shipping',
  0,
  async ({ db, logger, env }) => {
    const store = new ShippingStore(db);
    await store.ensureIndexes();
    const clients = serviceClients();
    const worker = startShippingWorker(store, clients, logger, env);
    return { close: async () => (await worker.stop(), await clients.close()) };
  },
  () => stageWorkEnv('SHIPPING', 300),
  'worker',
);
