import { MongoBulkWriteError, MongoClient, MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { createLogger } from './logger.ts';
import { databaseClosedForStop, isDatabaseUnavailable, logRetry } from './unavailable.ts';

// What a subgraph answers when its database fails under a request follows from this: unavailable
// is DEPENDENCY_UNAVAILABLE ("try again; it may have taken effect"), anything else
// INTERNAL_SERVER_ERROR. The errors below are the driver's own classes, built as the driver builds
// them, with the messages seen when a PostgreSQL backend behind FerretDB was killed under load.

const bulkResult = {} as ConstructorParameters<typeof MongoBulkWriteError>[1];

describe('isDatabaseUnavailable', () => {
  it('takes a bulk write whose connection broke, and FerretDB losing its PostgreSQL, as the database being unavailable', () => {
    expect(isDatabaseUnavailable(new MongoBulkWriteError(new MongoNetworkError('read ECONNRESET'), bulkResult))).toBe(true);
    expect(isDatabaseUnavailable(new MongoServerError({ message: '[msg_insert.go:168 handler.(*Handler).MsgInsert] unexpected EOF', code: 1 }))).toBe(true);
    expect(
      isDatabaseUnavailable(new MongoServerError({ message: 'failed to connect to `user=postgres database=postgres`: 127.0.0.1:5432 (127.0.0.1): tls error: server refused TLS connection', code: 1 })),
    ).toBe(true);
    expect(isDatabaseUnavailable(new MongoNetworkError('connection 4 to 127.0.0.1:27017 closed'))).toBe(true);
  });

  it('takes PostgreSQL going away under FerretDB (its postmaster killed, or another of its processes crashed) as the database being unavailable', () => {
    const postmasterKilled = '[msg_update.go:101 handler.(*Handler).MsgUpdate] FATAL: terminating connection due to unexpected postmaster exit (SQLSTATE 57P01)';
    expect(isDatabaseUnavailable(new MongoServerError({ message: postmasterKilled, code: 1 }))).toBe(true);
    const crashed = 'WARNING: terminating connection because of crash of another server process (SQLSTATE 57P02)';
    expect(isDatabaseUnavailable(new MongoServerError({ message: crashed, code: 1 }))).toBe(true);
    expect(isDatabaseUnavailable(new MongoServerError({ message: 'FATAL: the database system is not yet accepting connections (SQLSTATE 57P03)', code: 1 }))).toBe(true);
    expect(isDatabaseUnavailable(new MongoServerError({ message: 'FATAL: sorry, too many clients already (SQLSTATE 53300)', code: 1 }))).toBe(true);
    const bulk = { message: postmasterKilled, code: 1, writeErrors: [{ code: 1, index: 0, errmsg: postmasterKilled }] as never[] };
    expect(isDatabaseUnavailable(new MongoBulkWriteError(bulk, bulkResult))).toBe(true);
  });

  it('does not take a refused write or an ordinary server error for an outage', () => {
    const duplicate = { message: 'E11000 duplicate key error collection: shop.items', code: 11000, writeErrors: [{ code: 11000, index: 0 }] as never[] };
    expect(isDatabaseUnavailable(new MongoBulkWriteError(duplicate, bulkResult))).toBe(false);
    expect(isDatabaseUnavailable(new MongoServerError({ message: 'E11000 duplicate key error collection: shop.items', code: 11000 }))).toBe(false);
    expect(isDatabaseUnavailable(new MongoServerError({ message: 'unknown operator: $foo', code: 2 }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('unexpected EOF'))).toBe(false);
    expect(isDatabaseUnavailable(new MongoServerError({ message: 'ERROR: could not serialize access (SQLSTATE 40001)', code: 1 }))).toBe(false);
  });
});

describe('logRetry', () => {
  it('logs the database being unavailable as one warning line, and anything else as an error with its stack', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('test', { level: 'debug', format: 'json', write: (line) => void lines.push(JSON.parse(line)) });
    logRetry(logger, 'leasing failed', new MongoServerSelectionError('connect ECONNREFUSED 127.0.0.1:27017', { servers: new Map() } as never), { queue: 'charges' });
    logRetry(logger, 'leasing failed', new TypeError("Cannot read properties of undefined (reading 'status')"));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'leasing failed; will retry', queue: 'charges', error: 'connect ECONNREFUSED 127.0.0.1:27017' });
    expect(JSON.stringify(lines[0])).not.toMatch(/at .*\.ts:\d+/);
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'leasing failed; will retry' });
    expect(JSON.stringify(lines[1])).toMatch(/TypeError/);
  });

  // Last in this file: it marks this process as stopping.
  it('says nothing above debug once its own process closed the client to stop', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('test', { level: 'info', format: 'json', write: (line) => void lines.push(JSON.parse(line)) });
    const client = new MongoClient(inject('mongoUri'));
    await client.connect();
    // In flight when the client closes, as a worker's poll is when its process stops.
    const pending = client.db('stopping').collection('queue').findOne({}).catch((failure: unknown) => failure);
    databaseClosedForStop();
    await client.close();
    const error = await pending;
    expect(error).toBeInstanceOf(Error);
    logRetry(logger, 'leasing failed', error);
    expect(lines).toEqual([]);
  });
});
