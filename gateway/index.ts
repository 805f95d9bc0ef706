import { InternalTokens } from '../kit/auth/tokens.ts';
import { createLogger } from '../kit/logger.ts';
import { GatewayAuth } from './auth.ts';
import { closeServer, listen } from '../kit/http.ts';
import { announceMetricsPort } from '../kit/launcher-messages.ts';
import { gatewayConfig } from './env.ts';
import { buildGateway } from './server.ts';
import { loadSupergraph } from './supergraph.ts';
import { startTracing } from '../kit/telemetry.ts';
import { onShutdown } from '../kit/shutdown.ts';
import { boundHeapGrowth } from './heap.ts';

let logger = createLogger('gateway');
try {
  const config = gatewayConfig();
  logger = createLogger('gateway', { level: config.logLevel });
  boundHeapGrowth(config.heapGrowthPercent);
  // Before the gateway is built: its tracing plugin is installed only when tracing is on.
  const tracing = startTracing('gateway');
  const supergraphSdl = loadSupergraph(config.endpoints, config.supergraphPath);
  const gateway = await buildGateway({
    supergraphSdl,
    endpoints: config.endpoints,
    logger,
    isDev: config.isDev,
    introspection: config.introspection,
    auth: new GatewayAuth(config.userTokens, new InternalTokens(config.internalSecret)),
    graphiqlToken: config.graphiqlToken,
    corsOrigins: config.corsOrigins,
    limits: config.limits,
    cache: config.cache,
    maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
  });
  const { server, port } = await listen(gateway.handler, config.port, config.host, 'GATEWAY_PORT');
  const websockets = gateway.attach(server);
  const metrics = await listen(gateway.probes, config.metricsPort, config.metricsHost, 'METRICS_PORT');
  logger.info(`listening on http://localhost:${port}/graphql (WebSockets too); live tracking at http://localhost:${port}/track; metrics on http://localhost:${metrics.port}/metrics`, {
    subgraphs: config.endpoints.map((e) => e.name).join(','),
  });
  announceMetricsPort(metrics.port);
  onShutdown(async () => {
    await websockets.close();
    await Promise.all([closeServer(server), closeServer(metrics.server)]);
    await gateway.stop();
    await tracing?.shutdown().catch(() => {});
    process.exit(0);
  });
} catch (error) {
  logger.error(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
