import { runService } from '../../kit/service.ts';
import { buildTrackingService } from './server.ts';

await runService('tracking', 4012, ({ db, logger, config }) => buildTrackingService({ db, logger, isDev: config.isDev }));
