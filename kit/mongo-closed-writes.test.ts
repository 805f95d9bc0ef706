import { MongoClient, MongoNetworkError } from 'mongodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import './mongo.ts';

// A command written in the moment between its socket being destroyed and the connection hearing
// of it must fail (a network error, retried like any other) rather than wait for ever: the wedge
// that left a process's server monitor stuck after a database restart (kit/mongo-closed-writes.ts).

interface WireConnection {
  socket: { destroy(): void; destroyed: boolean };
  command(ns: object, command: object, options: object): Promise<unknown>;
}
const adminNamespace = { db: 'admin', collection: '$cmd', toString: () => 'admin.$cmd' };
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);

/** The connection the client's server monitor holds: a real one, made by the driver. */
function monitorConnection(client: MongoClient): WireConnection {
  const topology = (client as unknown as { topology: { s: { servers: Map<string, { monitor?: { connection?: WireConnection } }> } } }).topology;
  const connection = [...topology.s.servers.values()][0]?.monitor?.connection;
  if (!connection) throw new Error('the server monitor has no connection');
  return connection;
}

describe('a command written on a connection that is closing', () => {
  let client: MongoClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('fails with a network error instead of waiting for ever', async () => {
    client = new MongoClient(inject('mongoUri'));
    await client.connect();
    const connection = monitorConnection(client);
    expect(await within(connection.command(adminNamespace, { ping: 1 }, {}), 5_000)).toMatchObject({ ok: 1 });

    connection.socket.destroy();
    const outcome = await within(connection.command(adminNamespace, { ping: 1 }, {}), 5_000).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(MongoNetworkError);

    // The client itself carries on, on its pool's connections.
    expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
});
