import { runService } from '../../kit/service.ts';
import { buildVendorsService } from './server.ts';

await runService('vendors', 4002, ({ db, logger, config, tokens }) => buildVendorsService({ db, logger, tokens, isDev: config.isDev }));
