import { runService } from '../../kit/service.ts';
import { buildPickingService } from './server.ts';

await runService('picking', 4007, ({ db, logger, config }) => buildPickingService({ db, logger, isDev: config.isDev }));
