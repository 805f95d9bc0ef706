import type { MongoClient } from 'mongodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { connectMongo } from './mongo.ts';

// An idle process's database client must not wake it ten times a second (kit/mongo-idle-checks.ts):
// a driver upgrade that drops the setting fails here, not silently in every process's idle CPU.

interface DriverPool {
  ensureMinPoolSize(): void;
  connections: Iterable<{ socket: { destroy(): void } }>;
}
const poolsOf = (client: MongoClient) =>
  [...(client as unknown as { topology: { s: { servers: Map<string, { pool: DriverPool }> } } }).topology.s.servers.values()].map((server) => server.pool);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an idle database client', () => {
  let client: MongoClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('looks over its pool every ten seconds, not every 100 ms, and still drops a closed connection before using it', async () => {
    client = await connectMongo(inject('mongoUri'), 'idle-checks-test');
    const db = client.db('idle_checks_test');
    await Promise.all([1, 2, 3].map(() => db.command({ ping: 1 })));
    const pools = poolsOf(client);
    expect(pools.length).toBeGreaterThan(0);

    // Count the pool's passes for a second (the driver's own default makes ten).
    let passes = 0;
    for (const pool of pools) {
      const pass = pool.ensureMinPoolSize.bind(pool);
      pool.ensureMinPoolSize = () => {
        passes++;
        pass();
      };
    }
    await sleep(1_000);
    expect(passes).toBeLessThanOrEqual(1);

    // What a pass would have dropped (a connection closed under it): a checkout drops it instead.
    for (const pool of pools) for (const connection of pool.connections) connection.socket.destroy();
    await sleep(50);
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
});
