import { runService } from '../../kit/service.ts';
import { buildPickingService } from './server.ts';

await runService('picking', 4007, ({ db, logger, config, tokens }) => buildPickingService({ db, logger, tokens, isDev: config.isDev }));
