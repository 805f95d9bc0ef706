import { GraphQLError } from 'graphql';
import type { Logger } from './logger.ts';

// Every error code a client can see. Clients branch on `extensions.code`,
// so this list is part of the public interface: add, never rename.
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYMENT_METHOD_EXPIRED: 'PAYMENT_METHOD_EXPIRED',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
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
 * parse/validation errors (no original error) pass through; everything else
 * is logged and replaced by INTERNAL_SERVER_ERROR, with the cause only in development.
 */
export function createMaskError(logger: Logger, isDev: boolean, passThrough: (error: GraphQLError) => boolean = () => false) {
  return (error: unknown, message: string): Error => {
    if (!(error instanceof GraphQLError)) return internal(error, message, logger, isDev);
    if (passThrough(error)) return error;
    const original = error.originalError;
    if (!original) return error;
    if (isClientError(original)) return error;
    if (original instanceof GraphQLError && original.extensions.code && !(original as { originalError?: unknown }).originalError) {
      return error;
    }
    return internal(original, message, logger, isDev, error);
  };
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
