import { randomBytes } from 'node:crypto';
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { onMongoCommand, type CommandStart } from './mongo-command-hooks.ts';

// What kit/metrics.ts and kit/telemetry.ts see of every database command, without the driver's
// command monitoring: each command of any client, by database and name, with its round trip and,
// when it failed, the error.

const seen: (CommandStart & { durationMs: number; error?: unknown })[] = [];
onMongoCommand((start) => (end) => seen.push({ ...start, ...end }));

const clients: { client: MongoClient; database: string }[] = [];
afterAll(async () => {
  for (const { client, database } of clients) await client.db(database).dropDatabase().catch(() => {});
  for (const { client } of clients) await client.close();
});

/** A client of its own, and a database of its own for it. */
async function connect(): Promise<{ client: MongoClient; database: string; db: () => Db }> {
  const client = await new MongoClient(inject('mongoUri')).connect();
  const database = `t_hooks_${randomBytes(4).toString('hex')}`;
  clients.push({ client, database });
  return { client, database, db: () => client.db(database) };
}

describe('hooks around every MongoDB command', () => {
  it('see each command of every client, with its database, name and round trip', async () => {
    const first = await connect();
    const second = await connect();
    seen.length = 0;
    await first.db().collection('things').insertOne({ _id: 'a' } as never);
    await second.db().collection('things').findOne({ _id: 'a' } as never);
    const commands = seen.map(({ database, name }) => `${database} ${name}`);
    expect(commands).toContain(`${first.database} insert`);
    expect(commands).toContain(`${second.database} find`);
    expect(seen.every((command) => command.durationMs > 0 && command.error === undefined)).toBe(true);
  });

  it('see a command the database refused, with its error, and leave heartbeats out', async () => {
    const { client, database, db } = await connect();
    seen.length = 0;
    const refused = await db().command({ noSuchCommand: 1 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MongoServerError);
    expect(seen).toEqual([expect.objectContaining({ database, name: 'noSuchCommand', error: refused })]);

    seen.length = 0;
    await client.db('admin').command({ hello: 1 });
    expect(seen).toEqual([]);
  });

  it('leave a command alone when a hook throws, as it starts or as it ends', async () => {
    const { db } = await connect();
    onMongoCommand(({ name }) => {
      if (name === 'insert') throw new Error('a hook that fails as the command starts');
      return () => {
        throw new Error('a hook that fails as the command ends');
      };
    });
    seen.length = 0;
    // Sent once, answered, and seen once by the other hooks: not failed, not retried, not counted twice.
    await db().collection('things').insertOne({ _id: 'b' } as never);
    expect(await db().collection('things').findOne({ _id: 'b' } as never)).toEqual({ _id: 'b' });
    expect(seen.map(({ name, error }) => [name, error])).toEqual([
      ['insert', undefined],
      ['find', undefined],
    ]);
  });
});
