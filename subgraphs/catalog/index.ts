import { runService } from '../../kit/service.ts';
import { buildCatalogService } from './server.ts';

await runService('catalog', 4003, ({ db, logger, config, tokens }) => buildCatalogService({ db, logger, tokens, isDev: config.isDev }));
