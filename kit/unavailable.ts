import { GraphQLError } from 'graphql';
import { MongoBulkWriteError, MongoNetworkError, MongoNotConnectedError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { ErrorCode } from './errors.ts';

/**
 * What FerretDB answers when its own connection to PostgreSQL failed under a command, or could
 * not be made (PostgreSQL restarting all its connections after one of its processes died, or
 * down): the PostgreSQL driver's words, passed on in an ordinary server error. Seen here when a
 * PostgreSQL backend was killed under load: `unexpected EOF`, `failed to connect to ...: server
 * refused TLS connection`. The command may or may not have been applied, as with a network error.
 */
const POSTGRES_UNREACHABLE =
  /unexpected EOF|failed to connect to|conn closed|connection reset by peer|broken pipe|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command/;

/**
 * The database could not be reached: it is down or restarting, or the connection broke (a cleared
 * pool's error is a network error), or, behind FerretDB, its PostgreSQL. A bulk write (insertMany)
 * whose connection broke says so only in the error it wraps.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof MongoServerSelectionError || error instanceof MongoNetworkError || error instanceof MongoNotConnectedError) return true;
  if (error instanceof MongoBulkWriteError && error.errorResponse instanceof Error) return isDatabaseUnavailable(error.errorResponse);
  return error instanceof MongoServerError && POSTGRES_UNREACHABLE.test(error.message);
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
