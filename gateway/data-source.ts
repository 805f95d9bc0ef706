import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { SpanKind } from '@opentelemetry/api';
import { Agent } from 'undici';
import { clientError, ErrorCode } from '../kit/errors.ts';
import { subgraphErrors, subgraphFetchDuration } from '../kit/metrics.ts';
import { inSpan, injectTrace, tracingEnabled } from '../kit/telemetry.ts';
import type { ReadMostlyCache } from './read-mostly-cache.ts';

/**
 * Subgraph fetches go through one undici Agent: keep-alive connections pooled
 * per subgraph and reused across requests.
 */
export function createSubgraphAgent(): Agent {
  return new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 64, headersTimeout: 10_000, bodyTimeout: 10_000 });
}

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/** What a subgraph answered: kept as text so every caller parses its own copy (the gateway merges into what it parses). */
export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * Apollo serializes a subgraph request as `{"query":"<operation>",...}`. Only operations that
 * plainly read (`query …` or a bare selection set) are shared or cached; anything else,
 * mutations first of all, always goes to the subgraph on its own.
 */
const readOnly = (body: string) => body.startsWith('{"query":"query') || body.startsWith('{"query":"{');
const isMutation = (body: string) => body.startsWith('{"query":"mutation');

/**
 * A subgraph that cannot be reached becomes a DEPENDENCY_UNAVAILABLE error naming
 * it, so the client gets the rest of its answer plus an error that says what is missing.
 *
 * Identical reads in flight at the same time (same operation, variables and caller) are sent
 * once and their answer shared, as Hive Gateway and Apollo Router do: under load, many clients
 * ask for the same product or vendor at once. Reads of a read-mostly subgraph (catalog,
 * vendors) are answered from `cache` when it has them; a mutation sent to that subgraph
 * empties its cache before it is sent and again when it returns, so nobody reads the old
 * value after the mutation's answer. Neither sharing nor the cache crosses a mutation sent
 * through this gateway: a read sent after a mutation answered is sent after it too. (A read
 * may still join a fetch sent moments before a change made elsewhere, such as a worker's;
 * it then sees the state of an instant before it asked, as with any gateway that shares fetches.)
 *
 * Every request sent is timed per subgraph (a shared or cached answer is not a fetch) and,
 * while tracing is on, each fetch is a client span (a child of Apollo Gateway's fetch span,
 * inside the request's) whose `traceparent` the subgraph continues.
 */
export function createDataSource(
  name: string,
  url: string,
  agent: Agent,
  authorization: (context: unknown) => Promise<string>,
  cache?: ReadMostlyCache<Answer>,
  /** Development: an unreachable subgraph's error says why (`connect ECONNREFUSED 127.0.0.1:4003`), which names internal addresses. */
  explain = false,
): RemoteGraphQLDataSource {
  const { origin, pathname, search } = new URL(url);
  const path = pathname + search;
  const send = async (headers: Record<string, string>, body: string): Promise<Answer> => {
    const started = performance.now();
    try {
      const response = await agent.request({ origin, path, method: 'POST', headers, body });
      const answer = { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), text: await response.body.text() };
      subgraphFetchDuration.observe({ subgraph: name, outcome: String(answer.status) }, (performance.now() - started) / 1000);
      if (answer.status >= 400) subgraphErrors.inc({ subgraph: name, code: `HTTP_${answer.status}` });
      return answer;
    } catch (error) {
      subgraphFetchDuration.observe({ subgraph: name, outcome: 'unavailable' }, (performance.now() - started) / 1000);
      subgraphErrors.inc({ subgraph: name, code: ErrorCode.DEPENDENCY_UNAVAILABLE });
      throw clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${name} service is unavailable; its fields are missing from this answer.`, {
        serviceName: name,
        ...(explain ? { reason: error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error) } : {}),
      });
    }
  };

  // Bumped when a mutation to this subgraph is sent and when it answers. A read joins only a
  // fetch sent in its own generation, so a read sent after a mutation answered never gets an
  // answer fetched before it; and an answer is cached only if no mutation began or was under
  // way since its fetch was sent.
  let generation = 0;
  let changesInFlight = 0;
  const inFlight = new Map<string, { sentIn: number; answer: Promise<Answer> }>();

  const change = async (headers: Record<string, string>, body: string): Promise<Answer> => {
    generation++;
    changesInFlight++;
    cache?.clear();
    try {
      return await send(headers, body);
    } finally {
      changesInFlight--;
      generation++;
      cache?.clear();
    }
  };

  const shared = (key: string, headers: Record<string, string>, body: string) => {
    const keyNow = `${generation}\n${key}`;
    let fetch = inFlight.get(keyNow);
    if (!fetch) {
      fetch = { sentIn: generation, answer: send(headers, body).finally(() => inFlight.delete(keyNow)) };
      inFlight.set(keyNow, fetch);
    }
    return fetch;
  };

  const fetcher = (async (_input: string, init: { headers: Record<string, string>; body: string }) => {
    if (!tracingEnabled()) return fetchOnce(init);
    return inSpan('gateway', `fetch ${name}`, { kind: SpanKind.CLIENT, attributes: { subgraph: name, 'server.address': url } }, () => {
      // RemoteGraphQLDataSource passes the headers as a plain object; the sharing key ignores traceparent.
      injectTrace(init.headers);
      return fetchOnce(init);
    });
  }) as unknown as Fetcher;

  const fetchOnce = async (init: { headers: Record<string, string>; body: string }) => {
    const { headers, body } = init;
    if (!readOnly(body)) return respond(await (isMutation(body) ? change(headers, body) : send(headers, body)));
    const key = `${headers.authorization ?? ''}\n${body}`;
    const cached = cache?.get(key);
    if (cached) return respond(cached);
    const { sentIn, answer } = shared(key, headers, body);
    const result = await answer;
    if (cache && sentIn === generation && changesInFlight === 0 && result.status === 200 && !result.text.includes('"errors"')) cache.set(key, result, result.text.length);
    return respond(result);
  };

  // No subgraph sets cache hints, so skip reading them on every response.
  // Every fetch carries the client's identity as an internal token the subgraph verifies.
  return new RemoteGraphQLDataSource({
    url,
    honorSubgraphCacheControlHeader: false,
    fetcher,
    async willSendRequest({ request, context }) {
      request.http?.headers.set('authorization', await authorization(context));
    },
    didReceiveResponse({ response }) {
      for (const error of response.errors ?? []) {
        const code = error.extensions?.code;
        subgraphErrors.inc({ subgraph: name, code: typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'INTERNAL_SERVER_ERROR' });
      }
      return response;
    },
  });
}

/** The little of a fetch Response that Apollo's data source reads. */
function respond(answer: Answer) {
  const headers = new Headers({ 'content-type': answer.contentType });
  return {
    ok: answer.status >= 200 && answer.status < 300,
    status: answer.status,
    statusText: '',
    url: '',
    headers,
    json: async () => JSON.parse(answer.text) as unknown,
    text: async () => answer.text,
  };
}
