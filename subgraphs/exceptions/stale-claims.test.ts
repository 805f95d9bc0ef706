import { afterAll, describe, expect, inject, it } from 'vitest';
import { TestDatabases } from '../../test/harness.ts';
import { ExceptionStore, type RaiseInput } from './store.ts';

// A person's retry or cancel is claimed on the exception before it is carried out; a sweep every
// 5 s carries out the claims a dead process left (finishStaleClaims). It finds them by a flag the
// claim sets: on the embedded PostgreSQL the range on `pendingSince` it used alone read every
// exception ever raised on each pass (1.3 s at 20,000).

const onEmbeddedPostgres = inject('embeddedDb') === 'postgresql';
const databases = new TestDatabases();
afterAll(() => databases.cleanup());

const agent = { subject: 'agent-7', note: null };
const input = (name: string): RaiseInput => ({ id: `orders:charge-results:${name}`, occurrence: name, service: 'orders', queue: 'charge-results', elementId: name, orderId: '64b0000000000000000000aa', reason: 'card declined: card_declined' }) as RaiseInput;
const soon = () => new Date(Date.now() + 1_000);

describe('stale claims', () => {
  it("finds a claim by its flag until it is settled, and none of the exceptions nobody claimed", async () => {
    const db = await databases.create('stale_claims');
    const store = new ExceptionStore(db);
    await store.ensureIndexes();
    await store.raise(input('quiet'));
    await store.raise(input('claimed'));
    const claim = await store.claim(input('claimed').id, 'RETRY', agent);
    if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
    expect(claim.exception.claimed).toBe(true);

    // The first pass after the start looks for claims of earlier versions too; the next by the flag alone.
    expect((await store.staleClaims(soon(), 100)).map((e) => e._id)).toEqual([input('claimed').id]);
    expect((await store.staleClaims(soon(), 100)).map((e) => e._id)).toEqual([input('claimed').id]);
    expect(await store.staleClaims(new Date(claim.pending.since.getTime() - 1), 100)).toEqual([]);

    const settled = await store.settle(input('claimed').id, claim.pending.token);
    expect(settled).toMatchObject({ status: 'RETRIED', claimed: null, pending: null });
    expect(await store.staleClaims(soon(), 100)).toEqual([]);
  });

  it('finds a claim an earlier version left without the flag, and still after its first pass while its owner is down', async () => {
    const db = await databases.create('stale_claims_earlier');
    const before = new ExceptionStore(db);
    await before.ensureIndexes();
    await before.raise(input('earlier'));
    const claim = await before.claim(input('earlier').id, 'CANCEL', agent);
    if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
    // As an earlier version wrote it: no flag.
    await db.collection('exceptions').updateOne({ _id: input('earlier').id as never }, { $unset: { claimed: '' } });

    const after = new ExceptionStore(db); // a process of this version, started after
    expect((await after.staleClaims(soon(), 100)).map((e) => e._id)).toEqual([input('earlier').id]);
    expect((await after.exceptions.findOne({ _id: input('earlier').id }))?.claimed).toBe(true);
    // Its owner did not answer, so it is still pending: the next passes, by the flag, find it again.
    expect((await after.staleClaims(soon(), 100)).map((e) => e._id)).toEqual([input('earlier').id]);
    expect(await after.settle(input('earlier').id, claim.pending.token)).toMatchObject({ status: 'CANCELLED', claimed: null });
    expect(await after.staleClaims(soon(), 100)).toEqual([]);
  });

  it.skipIf(!onEmbeddedPostgres)('looks the flagged claims up through an index on the embedded PostgreSQL', async () => {
    const db = await databases.create('stale_claims_plan');
    const store = new ExceptionStore(db);
    await store.ensureIndexes();
    const docs = Array.from({ length: 2_000 }, (_, i) => ({ _id: `orders:charge-results:e${i}`, status: 'CANCELLED', pending: null, pendingSince: null, claimed: null, raisedAt: new Date() }));
    await db.collection('exceptions').insertMany(docs as never[]);
    const explained = await db.command({ explain: { find: 'exceptions', filter: { claimed: true, pendingSince: { $lt: new Date() } } } });
    const plan = JSON.stringify(explained.queryPlanner);
    expect(plan).not.toContain('Seq Scan');
    expect(plan).toMatch(/_gin_/);
  });
});
