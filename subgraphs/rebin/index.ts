import { runService } from '../../kit/service.ts';
import { buildRebinService } from './server.ts';

await runService('rebin', 4008, ({ db, logger, config, tokens }) => buildRebinService({ db, logger, tokens, isDev: config.isDev }));
