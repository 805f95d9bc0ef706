import { CallbackPolicy } from '../../kit/callbacks.ts';
import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { paymentsEnv } from './env.ts';
import { PaymentProcessor } from './processor.ts';
import { PaymentsStore } from './store.ts';
import { startPaymentsWorker } from './worker.ts';

await runStageWorker(
  'payments',
  (db) => new PaymentsStore(db),
  (store, clients, logger, env) =>
    startPaymentsWorker(store, new PaymentProcessor(store, env), clients, logger, { concurrency: env.concurrency, callbacks: new CallbackPolicy(env.callbackAllowList) }),
  paymentsEnv,
);
