import { runService } from '../../kit/service.ts';
import { stageWorkEnv } from '../../pipeline/stage-env.ts';
import { serviceClients } from '../../pipeline/services.ts';
import { RebinStore } from './store.ts';
import { startRebinWorker } from './worker.ts';

await runService(
  'rebin',
  0,
  async ({ db, logger, env }) => {
    const store = new RebinStore(db);
    await store.ensureIndexes();
    const clients = serviceClients();
    const worker = startRebinWorker(store, clients, logger, env);
    return { close: async () => (await worker.stop(), await clients.close()) };
  },
  () => stageWorkEnv('REBIN', 200),
  'worker',
);
