import { runService } from '../../kit/service.ts';
import { buildShippingService } from './server.ts';

await runService('shipping', 4009, ({ db, logger, config, tokens }) => buildShippingService({ db, logger, tokens, isDev: config.isDev }));
