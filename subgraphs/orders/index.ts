import { runService } from '../../kit/service.ts';
import { serviceUrl } from '../../pipeline/services.ts';
import { buildOrdersService } from './server.ts';

await runService('orders', 4005, ({ db, logger, config }) =>
  buildOrdersService({ db, logger, isDev: config.isDev, customersUrl: serviceUrl('customers'), catalogUrl: serviceUrl('catalog') }),
);
