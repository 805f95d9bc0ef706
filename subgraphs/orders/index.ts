import { runService } from '../../kit/service.ts';
import { serviceUrl } from '../../pipeline/services.ts';
import { buildOrdersService } from './server.ts';

await runService('orders', 4005, ({ db, logger, config, tokens }) =>
  buildOrdersService({ db, logger, tokens, isDev: config.isDev, customersUrl: serviceUrl('customers'), catalogUrl: serviceUrl('catalog') }),
);
