import { runService } from '../../kit/service.ts';
import { buildCustomersService } from './server.ts';

await runService('customers', 4001, ({ db, logger, config }) => buildCustomersService({ db, logger, isDev: config.isDev }));
