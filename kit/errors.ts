import { GraphQLError } from 'graphql';
import type { Logger } from './logger.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

// Every error code a client can see. Clients branch on `extensions.code`,
// so this list is part of the public interface: add, never rename.
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYMENT_METHOD_EXPIRED: 'PAYMENT_METHOD_EXPIRED',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  UNTRUSTED_DOCUMENT: 'UNTRUSTED_DOCUMENT',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  SUBSCRIBER_TOO_SLOW: 'SUBSCRIBER_TOO_SLOW',
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const publicCodes = new Set<string>(Object.values(ErrorCode));

export function clientError(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...details } });
}

/**
 * Work that another call is doing on the same thing right now, or left half-done when it
 * died (a database outage, a killed process): the same request can succeed a little later.
 * It is marked like an unreachable dependency, so a worker waits for it without spending
 * an attempt (kit/unavailable.ts) rather than parking the element among the exceptions.
 */
export const tryLater = (message: string) => clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, message, { unreachable: true });

export const badInput = (message: string, field?: string) =>
  clientError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});

export const notFound = (message: string, details: Record<string, unknown> = {}) =>
  clientError(ErrorCode.NOT_FOUND, message, details);

/** Errors the client may see as they are; anything else is a bug or an outage and is masked. */
export function isClientError(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && publicCodes.has(String(error.extensions.code));
}

/**
 * Yoga's maskError hook: errors we raised on purpose pass through; graphql-js
 * parse/validation errors (no original error) pass through; a variable the request
 * gives a value of the wrong type is the client's mistake: a request error (400,
 * BAD_USER_INPUT); everything else is logged and replaced by INTERNAL_SERVER_ERROR,
 * with the cause only in development. Outside development nothing of the request
 * is echoed back (yoga quotes a malformed body in `extensions.originalError`).
 */
export function createMaskError(logger: Logger, isDev: boolean, passThrough: (error: GraphQLError) => boolean = () => false) {
  const mask = (error: unknown, message: string): Error => {
    if (!(error instanceof GraphQLError)) return internal(error, message, logger, isDev);
    if (passThrough(error)) return error;
    if (isVariableValueError(error)) return requestError(error);
    const original = error.originalError;
    if (!original) return error;
    if (isClientError(original)) return error;
    if (original instanceof GraphQLError && original.extensions.code && !(original as { originalError?: unknown }).originalError) {
      return error;
    }
    if (isDatabaseUnavailable(original)) return databaseUnavailable(original, logger, error);
    return internal(original, message, logger, isDev, error);
  };
  return (error: unknown, message: string): Error => {
    const masked = mask(error, message);
    return isDev ? masked : withoutEcho(masked);
  };
}

/**
 * graphql-js refusing a variable's value (coercing `1.5` to Int, a missing non-null
 * variable): raised before execution, so it has no path, and always worded this way.
 */
function isVariableValueError(error: GraphQLError): boolean {
  return !error.path && /^Variable "\$[_A-Za-z][_0-9A-Za-z]*" /.test(error.message);
}

/** A request error as the GraphQL-over-HTTP spec has it: 400 for application/graphql-response+json, no data. */
function requestError(error: GraphQLError): GraphQLError {
  return new GraphQLError(withoutValue(error.message), {
    nodes: error.nodes,
    extensions: { code: ErrorCode.BAD_USER_INPUT, http: { spec: true, status: 400 } },
  });
}

/**
 * graphql-js quotes the refused value whole (`got invalid value { cardNumber: "5105…", cvv: "123" }`),
 * and a scalar's reason ends with it (`String cannot represent a non string value: 4111…`): a card
 * number sent with one field too many would be echoed back and logged. The message keeps where
 * the value went wrong and why, without the value.
 */
function withoutValue(message: string): string {
  const refused = /^(Variable "\$[_A-Za-z][_0-9A-Za-z]*") got invalid value [\s\S]*?((?: at "[^"]*")?); ([^;]*)$/.exec(message);
  if (!refused) return message;
  const [, variable, at, reason] = refused;
  return `${variable} got an invalid value${at}; ${reason!.replace(/^(.*? cannot represent[^:]*): [\s\S]*$/, '$1.')}`;
}

function withoutEcho(error: Error): Error {
  if (!(error instanceof GraphQLError) || !('originalError' in error.extensions)) return error;
  const { originalError: _echo, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, originalError: error.originalError, extensions });
}

/**
 * The service's own database could not be reached (restarting, say): the client, or the
 * worker that called, should try again, and knows it from the code.
 */
function databaseUnavailable(cause: Error, logger: Logger, located: GraphQLError) {
  logger.warn('database unavailable', { error: cause.message, path: located.path });
  return new GraphQLError('The database is unavailable; try again.', {
    nodes: located.nodes,
    path: located.path,
    extensions: { code: ErrorCode.DEPENDENCY_UNAVAILABLE, service: 'database', unreachable: true },
  });
}

function internal(cause: unknown, message: string, logger: Logger, isDev: boolean, located?: GraphQLError) {
  logger.error('unexpected error', { error: cause instanceof Error ? cause : String(cause), path: located?.path });
  return new GraphQLError(message, {
    nodes: located?.nodes,
    path: located?.path,
    extensions: {
      code: ErrorCode.INTERNAL_SERVER_ERROR,
      ...(isDev && cause instanceof Error ? { cause: cause.message } : {}),
    },
  });
}
