import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Db } from 'mongodb';
import type { InternalTokens } from './auth/tokens.ts';
import { serveDoorbell } from './doorbell.ts';
import { sendJson } from './http.ts';
import { metricsContentType, renderMetrics } from './metrics.ts';
import { answerWithin } from './within.ts';

/** One thing a process needs to do its work; rejects (or times out) when it is not reachable. */
export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 2_000;

/** The process's own database answers a ping. */
export const databaseCheck = (db: Db): ReadinessCheck => () => db.command({ ping: 1 });

/** Another process answers its /health (the gateway's subgraphs). */
export const healthCheck =
  (graphqlUrl: string): ReadinessCheck =>
  async () => {
    const response = await fetch(new URL('/health', graphqlUrl), { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  };

/**
 * The operator's endpoints, in front of a service's own handler:
 * - `/health`: the process is alive (it answers at all);
 * - `/ready`: everything it needs answers (its database; for the gateway, its subgraphs),
 *   503 with what is missing otherwise;
 * - `/metrics`: the Prometheus text format (unless `metrics` is false: the gateway's public port
 *   leaves it to a listener of its own, since every client's operation names are in it);
 * - `/doorbell`, with `doorbell`: a long poll for the service's own workers (kit/doorbell.ts).
 * Any other path goes to `handler` (GraphQL); without one it is 404 (a worker's listener).
 */
export function withProbes(
  handler: RequestListener | undefined,
  checks: Record<string, ReadinessCheck>,
  doorbell?: { service: string; tokens: InternalTokens },
  { metrics = true }: { metrics?: boolean } = {},
): RequestListener {
  const readiness = recentReadiness(checks);
  return (request, response) => {
    const url = request.url ?? '/';
    // GraphQL requests pass with one comparison.
    if (handler && url.startsWith('/graphql')) return handler(request, response);
    const path = url.split('?', 1)[0];
    if (path === '/health') return sendJson(response, 200, { status: 'alive' });
    if (path === '/ready') return void readiness().then(({ ok, results }) => sendJson(response, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks: results }));
    if (path === '/metrics' && metrics) return void serveMetrics(request, response);
    if (path === '/doorbell' && doorbell) return void serveDoorbell(request, response, doorbell);
    if (handler) return handler(request, response);
    const served = ['/health', '/ready', ...(metrics ? ['/metrics'] : []), ...(doorbell ? ['/doorbell'] : [])];
    sendJson(response, 404, { error: `not found: this process serves ${served.slice(0, -1).join(', ')} and ${served.at(-1)}` });
  };
}

/** How long one round of readiness checks answers every /ready: the gateway's asks each subgraph. */
const READINESS_FRESH_MS = 1_000;

/**
 * The checks, run at most once a second however often /ready is asked (callers meanwhile share the
 * round under way, or the last one): on the gateway's public port each /ready cost a request to
 * every subgraph, so a client could turn its requests into twelve times as many inside.
 */
function recentReadiness(checks: Record<string, ReadinessCheck>) {
  let last: { at: number; round: ReturnType<typeof ready> } | undefined;
  return () => {
    if (!last || performance.now() - last.at >= READINESS_FRESH_MS) last = { at: performance.now(), round: ready(checks) };
    return last.round;
  };
}

async function ready(checks: Record<string, ReadinessCheck>) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const result = Promise.resolve()
        .then(check)
        .then(
          () => 'ok',
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
      return [name, (await answerWithin(result, CHECK_TIMEOUT_MS))?.value ?? `no answer within ${CHECK_TIMEOUT_MS} ms`] as const;
    }),
  );
  return { ok: entries.every(([, result]) => result === 'ok'), results: Object.fromEntries(entries) };
}

async function serveMetrics(_request: IncomingMessage, response: ServerResponse) {
  try {
    const body = await renderMetrics();
    response.writeHead(200, { 'content-type': metricsContentType });
    response.end(body);
  } catch (error) {
    sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
  }
}

