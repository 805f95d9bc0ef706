import { runService } from '../../kit/service.ts';
import { buildReceivingService } from './server.ts';

await runService('receiving', 4010, ({ db, logger, config, tokens }) => buildReceivingService({ db, logger, tokens, isDev: config.isDev }));
