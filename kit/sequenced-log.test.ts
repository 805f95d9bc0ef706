import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { SEGMENT_SIZE, SequencedLog, sequenceId, type SequencedEntry } from './sequenced-log.ts';

const dbs = new TestDatabases();
let db: Db;
beforeAll(async () => {
  db = await dbs.create('sequenced');
});
afterAll(() => dbs.cleanup());

interface Entry extends SequencedEntry {
  by: string;
}
let counter = 0;
const newLog = () => new SequencedLog<Entry>(db, `log${++counter}`);
const entries = (from: number, count: number, by: string) => Array.from({ length: count }, (_, i) => ({ _id: sequenceId(from + i), seq: from + i, by }));

describe('SequencedLog.insertRun', () => {
  it('inserts a run of entries across a segment boundary, in order', async () => {
    const log = newLog();
    expect(await log.insertRun(entries(SEGMENT_SIZE - 2, 5, 'a'))).toBe(5);
    for (let seq = SEGMENT_SIZE - 2; seq < SEGMENT_SIZE + 3; seq++) expect((await log.at(seq))?.by).toBe('a');
  });

  it('stops at the first number another writer took, and leaves that writer its entry', async () => {
    const log = newLog();
    expect(await log.insertAt({ _id: sequenceId(4), seq: 4, by: 'other' })).toBe(true);
    expect(await log.insertRun(entries(1, 6, 'mine'))).toBe(3);
    expect((await log.at(3))?.by).toBe('mine');
    expect((await log.at(4))?.by).toBe('other');
    expect(await log.at(5)).toBeNull(); // not written past the conflict: the caller numbers it again
  });
});

describe('SequencedLog.headSeq', () => {
  it('leaves no gap when a reader asks for the head while this process appends', async () => {
    // What regional replicas did to the home copy's replication log: a poll's lookup past the
    // head was still on its way while an append landed, and the log skipped a number for good.
    const log = newLog();
    await log.append(() => ({ by: 'first' }));
    await log.append(() => ({ by: 'second' }));
    const lookup = log.at.bind(log);
    let release!: () => void;
    const slowDatabase = new Promise<void>((resolve) => (release = resolve));
    let looking!: () => void;
    const lookedUp = new Promise<void>((resolve) => (looking = resolve));
    log.at = async (seq: number) => {
      looking();
      await slowDatabase;
      return lookup(seq);
    };
    const head = log.headSeq(); // looks past entry 2, slowly
    await lookedUp;
    const third = await log.append(() => ({ by: 'third' }));
    release();
    expect(third.seq).toBe(3);
    expect(await head).toBe(3);
    log.at = lookup;

    const fourth = await log.append(() => ({ by: 'fourth' }));
    expect(fourth.seq).toBe(4);
    expect(await log.read(0, 10, 10)).toEqual([1, 2, 3, 4].map((seq) => expect.objectContaining({ seq })));
  });
});
