import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startFerretDb } from './ferretdb.ts';
import { socketDirFor } from './postgres.ts';

const root = mkdtempSync(join(tmpdir(), 'pg-socket-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** FerretDB's sessions in its cluster, by how they came in: a Unix socket has no client address. */
async function ferretdbSessions(postgresUrl: string): Promise<{ socket: number; tcp: number }> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ socket: string; tcp: string }>(
      `SELECT count(*) FILTER (WHERE client_addr IS NULL) AS socket, count(*) FILTER (WHERE client_addr IS NOT NULL) AS tcp
         FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return { socket: Number(rows[0]!.socket), tcp: Number(rows[0]!.tcp) };
  } finally {
    await client.end();
  }
}

/** Starts FerretDB in `dataDir`, stores and reads back a document through it, and says how its sessions reached PostgreSQL. */
async function roundTrip(dataDir: string) {
  const database = await startFerretDb({ dataDir, handler: 'postgresql' });
  const client = new MongoClient(database.uri);
  try {
    const docs = client.db('socket').collection<{ _id: string; n: number }>('docs');
    await docs.insertOne({ _id: 'a', n: 1 });
    const read = await docs.findOne({ _id: 'a' });
    return { read, sessions: await ferretdbSessions(database.postgresUrl!) };
  } finally {
    await client.close();
    await database.stop();
  }
}

describe("the embedded PostgreSQL's Unix socket", () => {
  it('is in the cluster folder, unless its path would not fit in a socket address or the folder name has a comma', () => {
    expect(socketDirFor('/tmp/data/postgresql', 54321)).toBe('/tmp/data/postgresql');
    // `sun_path` holds 104 bytes on macOS, 108 on Linux, with a closing NUL.
    const fits = `/${'d'.repeat(103 - '/'.length - '/.s.PGSQL.54321'.length)}`;
    expect(socketDirFor(fits, 54321)).toBe(fits);
    expect(socketDirFor(`${fits}x`, 54321)).toBeUndefined();
    expect(socketDirFor('/tmp/a,b/postgresql', 54321)).toBeUndefined();
  });

  it("is how FerretDB reaches its cluster: every one of FerretDB's sessions there comes through it", async () => {
    const { read, sessions } = await roundTrip(join(root, 'short'));
    expect(read).toEqual({ _id: 'a', n: 1 });
    expect(sessions.socket).toBeGreaterThan(0);
    expect(sessions.tcp).toBe(0);
  }, 120_000);

  it('is left out for a data folder too deep for one: FerretDB reaches its cluster over loopback TCP, and works', async () => {
    const deep = join(root, 'nested'.repeat(16));
    mkdirSync(deep, { recursive: true });
    expect(socketDirFor(join(deep, 'postgresql'), 65535)).toBeUndefined();
    const { read, sessions } = await roundTrip(deep);
    expect(read).toEqual({ _id: 'a', n: 1 });
    expect(sessions.socket).toBe(0);
    expect(sessions.tcp).toBeGreaterThan(0);
  }, 120_000);
});
