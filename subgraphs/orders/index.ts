import { parseEnv, urlVar } from '../../kit/env.ts';
import { runService } from '../../kit/service.ts';
import { buildOrdersService } from './server.ts';

await runService(
  'orders',
  4005,
  ({ db, logger, config, env }) =>
    buildOrdersService({ db, logger, isDev: config.isDev, customersUrl: env.CUSTOMERS_URL, catalogUrl: env.CATALOG_URL }),
  () => parseEnv({ CUSTOMERS_URL: urlVar(), CATALOG_URL: urlVar() }),
);
