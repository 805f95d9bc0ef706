import { runService } from '../../kit/service.ts';
import { buildExceptionsService } from './server.ts';

await runService('exceptions', 4011, ({ db, logger, config, tokens }) => buildExceptionsService({ db, logger, tokens, isDev: config.isDev }));
