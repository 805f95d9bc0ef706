import { runService } from '../../kit/service.ts';
import { customersEnv } from './env.ts';
import { buildCustomersService } from './server.ts';

// The home copy by default; CUSTOMERS_ROLE=replica with CUSTOMERS_REGION, CUSTOMERS_HOME_URL and
// CUSTOMERS_DB_NAME runs a regional replica (see docs/regional-replicas.md).
await runService(
  'customers',
  4001,
  ({ db, logger, config, env, tokens }) => buildCustomersService({ db, logger, tokens, isDev: config.isDev, copy: env }),
  customersEnv,
);
