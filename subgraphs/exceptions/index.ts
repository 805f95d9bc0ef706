import { runService } from '../../kit/service.ts';
import { buildExceptionsService } from './server.ts';

await runService('exceptions', 4011, ({ db, logger, config }) => buildExceptionsService({ db, logger, isDev: config.isDev }));
