import { GraphQLError } from 'graphql';
import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError } from 'mongodb';
import { ErrorCode } from './errors.ts';

/** The database could not be reached: it is down or restarting, or the connection broke (a cleared pool's error is a network error). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof MongoServerSelectionError || error instanceof MongoNetworkError || error instanceof MongoNotConnectedError;
}

/**
 * A failure of the infrastructure rather than of the work: the process's own database,
 * or a service it called, could not be reached or said its own database could not be.
 * Trying the same work again later can succeed, so such failures are retried without
 * counting against the element's attempts (kit/worker.ts).
 */
export function isUnavailable(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  return error instanceof GraphQLError && error.extensions.code === ErrorCode.DEPENDENCY_UNAVAILABLE && error.extensions.unreachable === true;
}
