import { MongoNetworkError } from 'mongodb';
// The driver's wire connection; not part of its public API (see below for why it is touched).
import { Connection } from 'mongodb/lib/cmap/connection.js';

type WriteCommand = (this: DriverConnection, command: unknown, options: unknown) => Promise<void>;
interface DriverConnection {
  closed: boolean;
  error: Error | null;
  id: number | string;
  address: string;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

const patched = Symbol.for('fulfilment.closedWritesFail');

/**
 * Makes a command written on a connection that is closing fail with a network error instead of
 * waiting for ever. Driver 6.22 (and 7.x) writes a command with `socket.write` and, when that
 * returns false, waits for the socket's `drain` or `error`. A socket that the server has just
 * closed is destroyed a moment before its `close` event reaches the connection; a write in that
 * moment returns false and the destroyed socket never emits either event. Reproduced here by
 * stopping FerretDB under load (bench/faults.ts `outage`): the server monitor's heartbeat, sent in
 * that moment because the pool had just failed, waited for ever, so the server stayed "Unknown"
 * and every operation of the process failed server selection after the database came back.
 * The same wait could hold any pooled operation. So every write also ends when its connection
 * closes, with the error the connection closed with, which the driver and kit/unavailable.ts
 * treat as a network failure to retry.
 */
export function failWritesOnClosedConnections(): void {
  const prototype = Connection.prototype as unknown as Record<PropertyKey, unknown> & { writeCommand: WriteCommand };
  if (prototype[patched]) return;
  if (typeof prototype.writeCommand !== 'function') {
    throw new Error('mongodb driver: Connection.prototype.writeCommand is gone; kit/mongo-closed-writes.ts needs updating for this driver version');
  }
  const write = prototype.writeCommand;
  prototype.writeCommand = async function (this: DriverConnection, command: unknown, options: unknown): Promise<void> {
    if (this.closed) throw this.error ?? closedError(this);
    let onClose = () => {};
    const closed = new Promise<never>((_, reject) => {
      onClose = () => reject(this.error ?? closedError(this));
      this.once('close', onClose);
    });
    try {
      return await Promise.race([write.call(this, command, options), closed]);
    } finally {
      this.off('close', onClose);
    }
  };
  prototype[patched] = true;
}

const closedError = (connection: DriverConnection) => new MongoNetworkError(`connection ${connection.id} to ${connection.address} closed`);
