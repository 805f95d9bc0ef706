import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { SpanKind } from '@opentelemetry/api';
import { Agent } from 'undici';
import { clientError, ErrorCode } from '../kit/errors.ts';
import { mayHaveArrived } from '../kit/graphql-client.ts';
import { subgraphErrors, subgraphFetchDuration } from '../kit/metrics.ts';
import { inSpan, injectTrace, tracingEnabled } from '../kit/telemetry.ts';
import { fieldErrors, fieldPaths } from './fetch-error-paths.ts';
import type { ReadMostlyCache } from './read-mostly-cache.ts';
import { ANSWER_MARGIN_MS, budgetOf } from './request-budget.ts';

/** Carries when a fetch must be answered from willSendRequest to the fetcher (never sent). */
const FETCH_DEADLINE_HEADER = 'x-gateway-fetch-deadline';

class FetchTimeout extends Error {
  constructor() {
    super('no answer in time');
  }
}

/** How much sooner than its own a fetch's deadline may be for a request to join it rather than send its own. */
const JOIN_SLACK_MS = 1_000;

/** Errors of fetches that were sent and not answered in time: the request does not wait for that subgraph again. */
const timedOut = new WeakSet<object>();

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
 * it, so the client gets the rest of its answer plus an error that says what is missing. A
 * fetch waits at most `fetchTimeoutMs`, and no longer than the client's operation has left
 * (request-budget.ts); a mutation that got no answer may still take effect, and says so.
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
  /** How long one fetch may take at most (GatewayLimits.subgraphTimeoutMs). */
  fetchTimeoutMs = 10_000,
): RemoteGraphQLDataSource {
  const { origin, pathname, search } = new URL(url);
  const path = pathname + search;
  const unavailableError = (extensions: Record<string, unknown> = {}) =>
    clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${name} service is unavailable; its fields are missing from this answer.`, { serviceName: name, ...extensions });
  /** A fetch that did not answer by the deadline, as the caller is told of it (and its request no longer waits for this subgraph). */
  const timedOutError = () => {
    const error = unavailableError();
    timedOut.add(error);
    return error;
  };

  const send = async (headers: Record<string, string>, body: string, deadline: number): Promise<Answer> => {
    const started = performance.now();
    // A timer of its own, not the agent's timeouts (undici fires those on a coarse clock, up to a
    // second late), and cleared once answered (AbortSignal.timeout's timer would live on meanwhile).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new FetchTimeout()), Math.max(1, deadline - Date.now()));
    try {
      const response = await agent.request({ origin, path, method: 'POST', headers, body, signal: abort.signal });
      const answer = { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), text: await response.body.text() };
      subgraphFetchDuration.observe({ subgraph: name, outcome: String(answer.status) }, (performance.now() - started) / 1000);
      if (answer.status >= 400) subgraphErrors.inc({ subgraph: name, code: `HTTP_${answer.status}` });
      return answer;
    } catch (error) {
      subgraphFetchDuration.observe({ subgraph: name, outcome: 'unavailable' }, (performance.now() - started) / 1000);
      subgraphErrors.inc({ subgraph: name, code: ErrorCode.DEPENDENCY_UNAVAILABLE });
      const reason = explain ? { reason: error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error) } : {};
      // A mutation that may have arrived and got no answer may still be carried out: the client must not take it as not done.
      const unavailable =
        isMutation(body) && mayHaveArrived(error)
          ? clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${name} service did not answer; the change may still take effect, and its fields are missing from this answer.`, { serviceName: name, outcomeUnknown: true, ...reason })
          : unavailableError(reason);
      if (error instanceof FetchTimeout || (error instanceof Error && (error.name === 'HeadersTimeoutError' || error.name === 'BodyTimeoutError'))) timedOut.add(unavailable);
      throw unavailable;
    } finally {
      clearTimeout(timer);
    }
  };

  // Bumped when a mutation to this subgraph is sent and when it answers. A read joins only a
  // fetch sent in its own generation, so a read sent after a mutation answered never gets an
  // answer fetched before it; and an answer is cached only if no mutation began or was under
  // way since its fetch was sent.
  let generation = 0;
  let changesInFlight = 0;
  const inFlight = new Map<string, { sentIn: number; deadline: number; answer: Promise<Answer> }>();

  const change = async (headers: Record<string, string>, body: string, deadline: number): Promise<Answer> => {
    generation++;
    changesInFlight++;
    cache?.clear();
    try {
      return await send(headers, body, deadline);
    } finally {
      changesInFlight--;
      generation++;
      cache?.clear();
    }
  };

  const shared = (key: string, headers: Record<string, string>, body: string, deadline: number) => {
    const keyNow = `${generation}\n${key}`;
    let fetch = inFlight.get(keyNow);
    // Joined only if it waits about as long as this request may: another request's shorter budget
    // (it was near its own timeout) must not cut this one's answer short.
    if (!fetch || fetch.deadline < deadline - JOIN_SLACK_MS) {
      const sent = { sentIn: generation, deadline, answer: send(headers, body, deadline).finally(() => inFlight.get(keyNow) === sent && inFlight.delete(keyNow)) };
      inFlight.set(keyNow, sent);
      return sent;
    }
    // Nor does a request wait past its own deadline for a fetch that may wait longer.
    return fetch.deadline <= deadline ? fetch : { ...fetch, answer: byDeadline(fetch.answer, deadline) };
  };

  /** `answer`, or a timed-out fetch's error once `deadline` has passed. */
  const byDeadline = (answer: Promise<Answer>, deadline: number): Promise<Answer> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOutError()), Math.max(1, deadline - Date.now()));
    });
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
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
    const { [FETCH_DEADLINE_HEADER]: fetchDeadline, ...headers } = init.headers;
    const { body } = init;
    const deadline = fetchDeadline === undefined ? Date.now() + fetchTimeoutMs : Number(fetchDeadline);
    if (!readOnly(body)) return respond(await (isMutation(body) ? change(headers, body, deadline) : send(headers, body, deadline)));
    const key = `${headers.authorization ?? ''}\n${body}`;
    const cached = cache?.get(key);
    if (cached) return respond(cached);
    const { sentIn, answer } = shared(key, headers, body, deadline);
    const result = await answer;
    if (cache && sentIn === generation && changesInFlight === 0 && result.status === 200 && !result.text.includes('"errors"')) cache.set(key, result, result.text.length);
    return respond(result);
  };

  /**
   * When this fetch must be answered: within fetchTimeoutMs, and within what the client's request
   * has left (request-budget.ts). Throws, sending nothing, when the request has no time left or
   * this subgraph already let one of its fetches time out.
   */
  const fetchDeadline = (context: unknown): number => {
    const budget = budgetOf(context);
    const capped = Date.now() + fetchTimeoutMs;
    if (!budget) return capped;
    if (budget.unanswered.has(name)) {
      throw clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${name} service did not answer an earlier fetch of this operation, so it was not asked again; its fields are missing from this answer.`, { serviceName: name });
    }
    const until = budget.deadline - ANSWER_MARGIN_MS;
    if (until <= Date.now()) {
      throw clientError(ErrorCode.REQUEST_TIMEOUT, `The request's time ran out before the ${name} service was asked: nothing was sent to it, and its fields are missing from this answer.`, { serviceName: name });
    }
    return Math.min(capped, until);
  };

  // No subgraph sets cache hints, so skip reading them on every response.
  // Every fetch carries the client's identity as an internal token the subgraph verifies.
  const source = new RemoteGraphQLDataSource({
    url,
    honorSubgraphCacheControlHeader: false,
    fetcher,
    async willSendRequest({ request, context }) {
      request.http?.headers.set('authorization', await authorization(context));
      request.http?.headers.set(FETCH_DEADLINE_HEADER, String(fetchDeadline(context)));
    },
    didEncounterError(error, _fetchRequest, _fetchResponse, context) {
      if (timedOut.has(error)) budgetOf(context)?.unanswered.add(name);
      throw error;
    },
    didReceiveResponse({ response }) {
      for (const error of response.errors ?? []) {
        const code = error.extensions?.code;
        subgraphErrors.inc({ subgraph: name, code: typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'INTERNAL_SERVER_ERROR' });
      }
      return response;
    },
  });
  // A fetch that failed here (this subgraph unavailable, or the request's time run out) fails the
  // fields it asked for: said as the errors of those fields, with their paths, and not thrown,
  // which Apollo Gateway passes on without a path. Any other failure is thrown as before.
  const process = source.process.bind(source);
  source.process = async (options) => {
    try {
      return await process(options);
    } catch (error) {
      if (!(error instanceof GraphQLError) || error.extensions.serviceName !== name || !('pathInIncomingRequest' in options)) throw error;
      const budget = budgetOf(options.context);
      const errors = fieldErrors(error, fieldPaths(options.request.query, options.request.variables), budget?.fieldErrorsLeft);
      if (budget) budget.fieldErrorsLeft -= errors.filter((each) => each.path).length;
      return { errors };
    }
  };
  return source;
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
