import { GraphQLError } from 'graphql';
import { Pool } from 'undici';
import type { ServiceCredentials } from './auth/tokens.ts';
import { clientError, ErrorCode } from './errors.ts';
import { injectTrace } from './telemetry.ts';

/** Codes with which a service refuses a request as such: sending it again cannot help. */
const rejectionCodes = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'PAYMENT_METHOD_EXPIRED', 'FORBIDDEN', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']);

/** The target answered, and refused the request (as opposed to being unavailable). */
export class RejectedByService extends Error {
  override name = 'RejectedByService';
  constructor(
    readonly service: string,
    message: string,
    /** The errors' `extensions.code`s. */
    readonly codes: readonly string[] = [],
  ) {
    super(`the ${service} service refused the request: ${message}`);
  }
}

export interface GraphQLClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

/**
 * How one service calls another's GraphQL interface (never its database).
 * One keep-alive connection pool per target. A target that is down or broken
 * becomes DEPENDENCY_UNAVAILABLE naming the service, so the caller writes nothing
 * and the client knows to retry.
 */
export function createGraphQLClient(
  service: string,
  url: string,
  options: { credentials: Pick<ServiceCredentials, 'authorization'>; timeoutMs?: number; connections?: number },
): GraphQLClient {
  const target = new URL(url);
  const pool = new Pool(target.origin, {
    connections: options.connections ?? 16,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs ?? 5_000,
    bodyTimeout: options.timeoutMs ?? 5_000,
  });
  // `unreachable`: the service could not be reached, or could not reach its own database;
  // trying again later can succeed (kit/unavailable.ts). An answer with an internal error can
  // be this request's fault, and is not marked.
  // "Nothing was changed" only where it is known: the request was never sent, or only read. A
  // service that answered a change with an error may have written part of it before its own
  // database failed under it; trying again is still right (receivers take a message again
  // idempotently, docs/architecture.md).
  const unavailable = (reason: string, unreachable: boolean, changedNothing: boolean) =>
    clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${service} service is unavailable; ${changedNothing ? 'nothing was changed, ' : ''}try again. (${reason})`, { service, unreachable });
  // Sent, and no answer came (a timeout, a connection that broke): the service may have acted,
  // unless all it was asked was to read.
  const unanswered = (reason: string, reads: boolean) =>
    reads
      ? clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${service} service did not answer in time; nothing was changed, try again. (${reason})`, { service, unreachable: true })
      : clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${service} service did not answer; the request may still take effect. (${reason})`, {
          service,
          unreachable: true,
          outcomeUnknown: true,
        });

  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      let body: { data?: T; errors?: { message: string; extensions?: { code?: string; unreachable?: boolean } }[] };
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', authorization: await options.credentials.authorization() };
        // The callee's spans join the caller's trace.
        injectTrace(headers);
        const response = await pool.request({
          path: target.pathname,
          method: 'POST',
          headers,
          body: JSON.stringify({ query, variables }),
        });
        body = (await response.body.json()) as typeof body;
      } catch (error) {
        // By its code (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT): the message names the callee's
        // address, and this message can reach clients and be kept (a delivery's lastError).
        const code = networkErrorCode(error);
        throw notSentCodes.has(code) ? unavailable(code, true, true) : unanswered(code, readsOnly(query));
      }
      if (body.errors?.length && body.errors.every((e) => rejectionCodes.has(e.extensions?.code ?? ''))) {
        throw new RejectedByService(
          service,
          body.errors.map((e) => e.message).join('; '),
          body.errors.map((e) => e.extensions?.code ?? ''),
        );
      }
      if (body.errors?.length || !body.data) {
        const unreachable = !!body.errors?.length && body.errors.every((e) => e.extensions?.code === ErrorCode.DEPENDENCY_UNAVAILABLE && e.extensions.unreachable === true);
        throw unavailable(body.errors?.map((e) => e.message).join('; ') ?? 'empty response', unreachable, readsOnly(query));
      }
      return body.data;
    },
    close: () => pool.close(),
  };
}

/**
 * Network errors raised before a request can have reached the service, so it cannot have acted.
 * Any other (a timeout waiting for the answer, a connection closed under the request) leaves
 * the outcome unknown.
 */
const notSentCodes = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** A query operation (`query …` or a bare selection set), which changes nothing however it ends. */
const readsOnly = (document: string) => /^\s*(?:query\b|\{)/.test(document);

/** Whether a request that failed with this error may have reached the service (it was not refused before it was sent). */
export function mayHaveArrived(error: unknown): boolean {
  return !notSentCodes.has(networkErrorCode(error));
}

/** A request that was sent and got no answer: the service may have carried it out, or may yet. */
export function isOutcomeUnknown(error: unknown): boolean {
  return error instanceof GraphQLError && error.extensions.outcomeUnknown === true;
}

/** What went wrong reaching a service, without where it is: the error's code, or its kind. */
function networkErrorCode(error: unknown): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code)) return code;
  return error instanceof Error ? error.name : 'unreachable';
}
