import { runService } from '../../kit/service.ts';
import { trackingEnv } from './env.ts';
import { buildTrackingService } from './server.ts';

await runService(
  'tracking',
  4012,
  ({ db, logger, config, env, tokens }) => buildTrackingService({ db, logger, tokens, isDev: config.isDev, warehouseDbName: env.warehouseDbName, eventPollIntervalMs: env.eventPollIntervalMs }),
  trackingEnv,
);
