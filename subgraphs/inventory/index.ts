import { runService } from '../../kit/service.ts';
import { buildInventoryService } from './server.ts';

await runService('inventory', 4004, ({ db, logger, config, tokens }) => buildInventoryService({ db, logger, tokens, isDev: config.isDev }));
