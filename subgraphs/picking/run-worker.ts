import { runService } from '../../kit/service.ts';
import { serviceClients } from '../../pipeline/services.ts';
import { pickingRules } from './env.ts';
import { PickingStore } from './store.ts';
import { startPickingWorker } from './worker.ts';

await runService(
  'picking',
  0,
  async ({ db, logger, env }) => {
    const store = new PickingStore(db);
    await store.ensureIndexes();
    const clients = serviceClients();
    const worker = startPickingWorker(store, clients, logger, env);
    return { close: async () => (await worker.stop(), await clients.close()) };
  },
  pickingRules,
  'worker',
);
