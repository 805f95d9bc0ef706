import { GraphQLError } from 'graphql';
import { MongoBulkWriteError, MongoNetworkError, MongoNotConnectedError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { ErrorCode } from './errors.ts';
import type { Logger, LogFields } from './logger.ts';

/**
 * What FerretDB answers when its own connection to PostgreSQL failed under a command, or could
 * not be made (PostgreSQL restarting all its connections after one of its processes died, or
 * down): the PostgreSQL driver's words, passed on in an ordinary server error. Seen here when a
 * PostgreSQL backend was killed under load: `unexpected EOF`, `failed to connect to ...: server
 * refused TLS connection`; and when the postmaster was: `FATAL: terminating connection due to
 * unexpected postmaster exit (SQLSTATE 57P01)`. PostgreSQL's own codes for it: class 08
 * (connection exception), 57P01-57P03 (shut down, crashed, cannot connect now) and 53300 (too many
 * connections). The command may or may not have been applied, as with a network error.
 */
const POSTGRES_UNREACHABLE =
  /unexpected EOF|failed to connect to|conn closed|connection reset by peer|broken pipe|server closed the connection|the database system is |terminating connection|SQLSTATE (08[0-9A-Z]{3}|57P0[1-3]|53300)\b/;

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

let closedForStop = false;

/**
 * Said by a stopping process just before it closes its database client (kit/service.ts), cutting
 * short on purpose what is still in flight: from then on a failure is nothing to retry here and
 * nothing to report (a lease held expires, and the work is done again).
 */
export function databaseClosedForStop(): void {
  closedForStop = true;
}

/** Whether a failure may be this process closing its own database client to stop (see databaseClosedForStop). */
export function cutShortByStop(): boolean {
  return closedForStop;
}

/**
 * Logs a background pass (a lease, a relay's read, a loop's pass) that failed and will be tried
 * again. The database being unavailable is expected to pass (a restart, a moment's outage): a
 * warning with its message, where every loop of every process logging an error with its stack
 * each second buried what else was said. Anything else is an error, with its stack.
 */
export function logRetry(logger: Logger, what: string, error: unknown, fields: LogFields = {}) {
  if (cutShortByStop()) return logger.debug(`${what}: the process is stopping`, { ...fields });
  if (isDatabaseUnavailable(error)) logger.warn(`${what}; will retry`, { ...fields, error: (error as Error).message });
  else logger.error(`${what}; will retry`, { ...fields, error: error instanceof Error ? error : String(error) });
}
