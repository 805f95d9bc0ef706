// Our gateway with authentication off, for `npm run bench:gateway` only: every request is taken
// to come from BENCH_IDENTITY without looking at any token, and the schema's access rules are
// not checked. Subgraphs still verify the internal token (once per token; then a map lookup).
import { GatewayAuth } from '../gateway/auth.ts';
import { gatewayConfig } from '../gateway/env.ts';
import { buildGateway } from '../gateway/server.ts';
import { loadSupergraph } from '../gateway/supergraph.ts';
import type { Identity } from '../kit/auth/identity.ts';
import { InternalTokens } from '../kit/auth/tokens.ts';
import { listen } from '../kit/http.ts';
import { createLogger } from '../kit/logger.ts';

class UncheckedAuth extends GatewayAuth {
  constructor(
    private readonly identity: Identity,
    ...rest: ConstructorParameters<typeof GatewayAuth>
  ) {
    super(...rest);
  }

  override async identify(): Promise<Identity> {
    return this.identity;
  }
}

const config = gatewayConfig();
const logger = createLogger('gateway-auth-off', { level: config.logLevel });
const gateway = await buildGateway({
  supergraphSdl: loadSupergraph(config.endpoints, config.supergraphPath),
  endpoints: config.endpoints,
  logger,
  isDev: false,
  auth: new UncheckedAuth(JSON.parse(process.env.BENCH_IDENTITY!) as Identity, config.userTokens, new InternalTokens(config.internalSecret)),
  limits: config.limits,
  cache: config.cache,
  checkAccess: false,
});
await listen(gateway.handler, config.port, config.host, 'GATEWAY_PORT');
