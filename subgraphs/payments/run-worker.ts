import { runService } from '../../kit/service.ts';
import { serviceClients } from '../../pipeline/services.ts';
import { paymentsEnv } from './env.ts';
import { PaymentProcessor } from './processor.ts';
import { PaymentsStore } from './store.ts';
import { startPaymentsWorker } from './worker.ts';

await runService(
  'payments',
  0,
  async ({ db, logger, env }) => {
    const store = new PaymentsStore(db);
    await store.ensureIndexes();
    const clients = serviceClients();
    const worker = startPaymentsWorker(store, new PaymentProcessor(store, env), clients, logger, { concurrency: env.concurrency });
    return {
      close: async () => {
        await worker.stop();
        await clients.close();
      },
    };
  },
  paymentsEnv,
  'worker',
);
