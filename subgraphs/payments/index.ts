import { runService } from '../../kit/service.ts';
import { paymentsEnv } from './env.ts';
import { buildPaymentsService } from './server.ts';

await runService(
  'payments',
  4006,
  ({ db, logger, config, env }) => buildPaymentsService({ db, logger, isDev: config.isDev, processor: env }),
  paymentsEnv,
);
