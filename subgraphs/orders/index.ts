import { runService } from '../../kit/service.ts';
import { serviceUrl } from '../../pipeline/services.ts';
import { ordersEnv } from './env.ts';
import { buildOrdersService } from './server.ts';

await runService(
  'orders',
  4005,
  ({ db, logger, config, tokens, env }) =>
    buildOrdersService({ db, logger, tokens, isDev: config.isDev, customersUrl: serviceUrl('customers'), catalogUrl: serviceUrl('catalog'), shippingCountries: env.shippingCountries }),
  () => ordersEnv(),
);
