import { runService } from '../../kit/service.ts';
import { paymentsEnv } from './env.ts';
import { buildPaymentsService } from './server.ts';

await runService(
  'payments',
  4006,
  ({ db, logger, config, env, tokens }) => buildPaymentsService({ db, logger, tokens, isDev: config.isDev, processor: env, callbackAllowList: env.callbackAllowList }),
  paymentsEnv,
);
