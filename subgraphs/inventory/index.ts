import { runService } from '../../kit/service.ts';
import { buildInventoryService } from './server.ts';

await runService('inventory', 4004, ({ db, logger, config }) => buildInventoryService({ db, logger, isDev: config.isDev }));
