import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs, FormattedExecutionResult } from 'graphql';
import { getOperationAST, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { bounded, copyOf, ErrorCode } from './errors.ts';
import { afterAnswersOnConnection, refuseOnSocket } from './http.ts';
import type { Logger } from './logger.ts';
import { activeSubscriptions, subscriptionDeliveries, websocketConnections } from './metrics.ts';

/**
 * Decides on a connection from its `connection_init` payload: the caller it proves to be
 * (passed to every operation's context as `principal`), or false to refuse it (4403).
 * A principal with `expiresAt` has its connection closed with 4403 at that moment.
 */
export type Authorize = (params: Record<string, unknown> | undefined) => Principal | false | Promise<Principal | false>;

/**
 * The `authorization` a client put in its connection_init payload, spelt in any case, as an HTTP
 * header may be (`Authorization` is what most clients send): a key in another case is not taken as
 * signing in anonymously.
 */
export function connectionAuthorization(params: Record<string, unknown> | undefined): string | undefined {
  if (!params) return undefined;
  const given = Object.keys(params)
    .filter((key) => key.toLowerCase() === 'authorization')
    .map((key) => params[key])
    .filter((value) => value !== undefined && value !== null);
  if (given.length === 0) return undefined;
  // Credentials that are not text (an array, an object, a number), or two of them under keys in
  // different cases, are refused as credentials that do not verify, as an HTTP header that is no
  // bearer token is: neither is taken as signing in anonymously, nor one chosen over the other.
  return given.length === 1 && typeof given[0] === 'string' ? given[0] : NOT_CREDENTIALS;
}
/** What stands for credentials that are not text: no bearer token, so refused wherever it is checked. */
const NOT_CREDENTIALS = 'Invalid credentials (not text)';
export interface Principal {
  expiresAt?: number;
}

/** Close code for a connection whose credentials were refused or have expired. */
export const FORBIDDEN_CLOSE_CODE = 4403;

export interface WebSocketOptions {
  logger: Logger;
  /** The metrics' `service` label. */
  service?: string;
  /** Refused connections close with 4403. */
  authorize?: Authorize;
  /** Unlimited by default: a subgraph's client is a gateway multiplexing all its subscribers. */
  maxSubscriptionsPerConnection?: number;
  /** A socket that has not sent `connection_init` by then is closed with 4408. */
  connectionInitWaitTimeoutMs?: number;
  /** Server pings this often; a client that does not answer before the next ping is dropped. */
  keepAliveMs?: number;
  /** Unsent bytes a client may have queued before it is disconnected (1013) as too slow. */
  maxBufferedBytes?: number;
  /** The largest message a client may send, in bytes: the gateway passes its HTTP body limit, so a subscription is no bigger over a WebSocket than a request over HTTP. */
  maxMessageBytes?: number;
  /**
   * Connections one client may hold open at once (by `keyOf`, say its address): more are refused
   * at the upgrade with HTTP 429. Unlimited by default: a subgraph's one client is the gateway.
   */
  connectionLimit?: { max: number; keyOf: (req: IncomingMessage) => string };
  /**
   * What the app's `onParams` hooks do for HTTP requests (yoga runs them only there): each check
   * returns the request's parameters, perhaps changed, or throws a GraphQLError that answers it.
   */
  paramChecks?: ParamCheck[];
}

export type SubscribeParams = { query: string; operationName?: string | null; variables?: Record<string, unknown> | null; extensions?: Record<string, unknown> | null };
export type ParamCheck = (params: SubscribeParams) => SubscribeParams;

/** How long clients have to answer a stopping server's close (1001) before their connections are cut. */
const CLOSE_ANSWER_MS = 1_000;

/** Close code for a client that reads too slowly: "try again later", which graphql-ws clients retry. */
export const SLOW_CLIENT_CLOSE_CODE = 1013;

/**
 * GraphQL over WebSockets (the graphql-ws protocol) on the HTTP server's /graphql path, through
 * the same yoga app as HTTP: same parsing, validation, plugins and error masking. graphql-ws
 * enforces the protocol: 4400 bad message, 4401 subscribe before ack, 4403 refused, 4408 no init
 * in time, 4409 duplicate id, 4429 repeated init; ping/pong both ways.
 */
export function serveGraphQLOverWebSocket(server: Server, yoga: YogaServerInstance<any, any>, options: WebSocketOptions) {
  const {
    logger,
    service = 'gateway',
    authorize,
    maxSubscriptionsPerConnection = Number.POSITIVE_INFINITY,
    connectionInitWaitTimeoutMs = 3_000,
    keepAliveMs = 12_000,
    maxBufferedBytes = 4 * 1024 * 1024,
    paramChecks = [],
    maxMessageBytes = 1024 * 1024,
  } = options;
  // Each open socket holds memory whether or not it ever subscribes: bounded per client.
  const openBy = new Map<string, number>();
  const limit = options.connectionLimit;
  // A longer message closes the socket (1009, "message too big"). Upgrades are taken here, not by
  // ws on the server, so that each refusal of one is JSON with an `extensions.code`, as over HTTP:
  // ws answers a path it does not serve, a refused client and a malformed upgrade with HTML.
  const wss = new WebSocketServer({ noServer: true, path: yoga.graphqlEndpoint, maxPayload: maxMessageBytes });
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!wss.shouldHandle(req)) {
      refuseOnSocket(socket, 404, `Nothing is served over a WebSocket at this path: GraphQL over WebSocket (graphql-transport-ws) is at ${yoga.graphqlEndpoint}.`, ErrorCode.NOT_FOUND);
    } else if (limit && (openBy.get(limit.keyOf(req)) ?? 0) >= limit.max) {
      refuseOnSocket(socket, 429, `At most ${limit.max} connections at once from one address.`, ErrorCode.RATE_LIMITED);
    } else {
      // Counted from here, not from the handshake, so that upgrades waiting below count too, and
      // until the connection closes, whether or not it became a WebSocket.
      if (limit) {
        const key = limit.keyOf(req);
        openBy.set(key, (openBy.get(key) ?? 0) + 1);
        socket.once('close', () => {
          const left = (openBy.get(key) ?? 1) - 1;
          if (left > 0) openBy.set(key, left);
          else openBy.delete(key);
        });
      }
      // After the answer to a request sent before it on the connection: the 101 would otherwise go
      // first, and that answer into the WebSocket's stream.
      afterAnswersOnConnection(socket as Socket, () => wss.handleUpgrade(req, socket, head, (client) => wss.emit('connection', client, req)));
    }
  };
  server.on('upgrade', upgrade);
  // As ws does for a server it is given: the server's errors are logged below, not thrown.
  const serverError = (error: Error) => wss.emit('error', error);
  server.on('error', serverError);
  // ws's own checks of the upgrade (a GET, Upgrade: websocket, a valid Sec-WebSocket-Key and -Version, a readable protocol list).
  wss.on('wsClientError', (error: Error, socket: Duplex, req: IncomingMessage) => {
    const method = error.message === 'Invalid HTTP method';
    const version = error.message.includes('Sec-WebSocket-Version');
    refuseOnSocket(
      socket,
      method ? 405 : 400,
      `${error.message}: a WebSocket upgrade is a GET with Upgrade: websocket, a Sec-WebSocket-Key and Sec-WebSocket-Version: 13 (or 8).`,
      'BAD_REQUEST',
      // What RFC 6455 (4.4) and HTTP (405) ask a refusal to say.
      method ? ['allow: GET'] : version ? ['sec-websocket-version: 13, 8'] : [],
      req.method,
    );
  });
  const principals = new WeakMap<object, Principal>();
  const expiries = new WeakMap<object, NodeJS.Timeout>();
  // Operations running per connection (for the active-subscriptions gauge; a closed connection ends all of its own).
  const running = new WeakMap<object, Set<string>>();
  const labels = { service };
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      connectionInitWaitTimeout: connectionInitWaitTimeoutMs,
      onConnect: async (ctx) => {
        if (!authorize) return accepted(ctx);
        const principal = await authorize(ctx.connectionParams);
        if (!principal) return false;
        // Closed while its token was checked: onClose has run already, and would never undo what follows.
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
        principals.set(ctx, principal);
        if (principal.expiresAt !== undefined) {
          // setTimeout holds at most ~24.8 days; a longer-lived credential is checked again then.
          const close = () => {
            const left = principal.expiresAt! - Date.now();
            if (left > 0) expiries.set(ctx, setTimeout(close, Math.min(left, 2 ** 31 - 1)).unref());
            else ctx.extra.socket.close(FORBIDDEN_CLOSE_CODE, 'Forbidden: token expired');
          };
          close();
        }
        return accepted(ctx);
      },
      onClose: (ctx) => {
        clearTimeout(expiries.get(ctx));
        const operations = running.get(ctx);
        if (!operations) return;
        websocketConnections.dec(labels);
        activeSubscriptions.dec(labels, operations.size);
        running.delete(ctx);
      },
      onComplete: (ctx, id) => {
        if (running.get(ctx)?.delete(id)) activeSubscriptions.dec(labels);
      },
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onSubscribe: async (ctx, _id, sent) => {
        if (Object.keys(ctx.subscriptions).length > maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(`At most ${maxSubscriptionsPerConnection} operations at once on one connection; complete one or open another connection.`, {
              extensions: { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS },
            }),
          ];
        }
        let params = sent as SubscribeParams;
        try {
          for (const check of paramChecks) params = check(params);
        } catch (error) {
          if (error instanceof GraphQLError) return [asSocketError(error)];
          // Unexpected: logged here, and masked for the client as everywhere else.
          logger.error('checking a WebSocket request failed', { error: error instanceof Error ? error : String(error) });
          return [new GraphQLError('Unexpected error.', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          connectionParams: ctx.connectionParams,
          principal: principals.get(ctx),
        });
        let document;
        try {
          document = parse(params.query);
        } catch (error) {
          return [asSocketError(asParseFailure(error))];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors.map(asSocketError);
        // graphql-ws would answer "Unable to identify operation" without a code: answer as Yoga does on HTTP.
        if (!getOperationAST(document, params.operationName ?? undefined)) {
          return [new GraphQLError('Could not determine what operation to execute.', { extensions: { code: ErrorCode.OPERATION_RESOLUTION_FAILURE } })];
        }
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: params.operationName ?? undefined,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies Enveloped,
        };
        const operations = running.get(ctx);
        if (operations && !operations.has(_id)) {
          operations.add(_id);
          activeSubscriptions.inc(labels);
        }
        return args;
      },
      onNext: (ctx, _id, _payload, _args, result) => {
        subscriptionDeliveries.inc(labels);
        // A client that does not read its socket must not make the server hold its events forever.
        const socket = ctx.extra.socket;
        if (socket.bufferedAmount > maxBufferedBytes) socket.close(SLOW_CLIENT_CLOSE_CODE, 'Too slow: reconnect and resubscribe from your last cursor');
        // Errors raised while executing (a variable's value, a refused field) carry what an HTTP answer needs.
        if (result.errors?.some((error) => error instanceof GraphQLError && 'http' in error.extensions)) {
          return { ...result, errors: result.errors.map((error) => (error instanceof GraphQLError ? asSocketError(error) : error)) } as FormattedExecutionResult;
        }
      },
    },
    wss,
    keepAliveMs,
  );
  wss.on('error', (error) => logger.error('websocket server error', { error }));
  // A socket's errors are the client's or the network's (a message over maxMessageBytes, a
  // malformed frame, a reset): ws has closed the socket already (1009, 1002, ...). graphql-ws's
  // own listener, attached just before this one, would print each to the console as an internal
  // error of ours; one line in our log at debug says what happened instead.
  wss.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => logger.debug('websocket closed on a client error', { code: error.code ?? error.name }));
    // A message written to a socket its client has just dropped fails (EPIPE, ECONNRESET) though
    // the socket still read as open when graphql-ws sent it. graphql-ws takes that failure for a
    // bug of ours: it printed it to the console with a stack, once per message, and closed the
    // socket, which is closing anyway. A message sent to a closed socket is dropped, as graphql-ws
    // drops one sent once the socket reads as closed; the close ends its subscriptions.
    type Sent = (error?: Error) => void;
    const send = socket.send.bind(socket) as (data: unknown, options: object, callback: Sent) => void;
    (socket as unknown as { send: (data: unknown, options?: object | Sent, callback?: Sent) => void }).send = (data, options, callback) => {
      const sent = typeof options === 'function' ? options : callback;
      send(data, typeof options === 'object' ? options : {}, (error) => {
        if (error) logger.debug('websocket message not sent: the client has gone', { code: (error as Error & { code?: string }).code ?? error.name });
        sent?.();
      });
    };
  });
  function accepted(ctx: object): true {
    running.set(ctx, new Set());
    websocketConnections.inc(labels);
    return true;
  }
  return {
    async close() {
      server.off('upgrade', upgrade);
      server.off('error', serverError);
      for (const client of wss.clients) client.close(1001, 'Going away');
      // The close waits for every client to answer 1001; ws gives one that has stopped reading 30 s,
      // longer than a stopping process has.
      const cut = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, CLOSE_ANSWER_MS).unref();
      await disposable.dispose();
      clearTimeout(cut);
    },
  };
}

interface Enveloped {
  // Yoga's enveloped execute/subscribe: results, streams of results, or promises of either.
  execute: (args: ExecutionArgs) => any;
  subscribe: (args: ExecutionArgs) => any;
}

/**
 * The error as a WebSocket client gets it: where it is and its code, without `extensions.http`,
 * which is for HTTP responses (yoga removes it there too), and its message cut as the mask cuts
 * it on HTTP (parse errors and the checks of a request's text never reach the mask). A copy:
 * yoga caches the original.
 */
function asSocketError(given: GraphQLError): GraphQLError {
  const error = bounded(given);
  if (!('http' in error.extensions)) return error;
  const { http: _http, ...extensions } = error.extensions;
  return copyOf(error, { extensions });
}

/**
 * A parse error marked as yoga marks it on HTTP (GRAPHQL_PARSE_FAILED, status 400). Yoga's parser
 * cache keeps the error object for that text and throws the same one at the next request with
 * it, on HTTP too, and yoga marks it only on HTTP: unmarked here, the error's code would depend on
 * whether the text came first over a WebSocket.
 */
function asParseFailure(error: unknown): GraphQLError {
  // Not the parser's own error (a fault in it): its text is not for the client.
  if (!(error instanceof GraphQLError)) return new GraphQLError('The document could not be parsed.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  const extensions = error.extensions as { code?: string; http?: { spec?: boolean; status?: number } };
  extensions.code ||= 'GRAPHQL_PARSE_FAILED';
  extensions.http ||= {};
  extensions.http.spec ??= true;
  extensions.http.status ||= 400;
  return error;
}
