import { afterEach, describe, expect, inject, it } from 'vitest';
import { hangableProxyTo } from '../test/hangable-proxy.ts';
import { watchForHang, type HangWatch } from './database-liveness.ts';

// The launcher's watch on its database: silence for `hangMs` is a hang; a database that answers,
// however slowly it is asked, is left alone.

const watches: HangWatch[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(watches.splice(0).map((watch) => watch.stop()));
  for (const close of closers.splice(0)) close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watching the database for a hang', () => {
  it('leaves a database that answers alone, and says so once it has answered nothing for the time allowed', async () => {
    const proxy = await hangableProxyTo(inject('mongoUri'));
    closers.push(() => proxy.close());
    const hangs: number[] = [];
    watches.push(watchForHang(proxy.uri, { hangMs: 1_500, everyMs: 300, onHang: (silentMs) => hangs.push(silentMs) }));
    await sleep(3_000);
    expect(hangs).toEqual([]);
    const hungAt = Date.now();
    proxy.hang();
    while (hangs.length === 0 && Date.now() - hungAt < 10_000) await sleep(50);
    expect(hangs).toHaveLength(1);
    expect(hangs[0]).toBeGreaterThanOrEqual(1_500);
    expect(Date.now() - hungAt).toBeLessThan(4_000);
    // Once: the launcher ends the database, and a new watch starts with the new one.
    await sleep(1_000);
    expect(hangs).toHaveLength(1);
  });

  it('says so when the time allowed has passed since the last answer, not when a read that gets none gives up', async () => {
    const proxy = await hangableProxyTo(inject('mongoUri'));
    closers.push(() => proxy.close());
    const hangs: number[] = [];
    // Reads a second apart, each given a second: a check made only after a read gave up would
    // come at least two seconds after the last answer.
    watches.push(watchForHang(proxy.uri, { hangMs: 1_500, everyMs: 1_000, onHang: (silentMs) => hangs.push(silentMs) }));
    await sleep(2_500);
    const hungAt = Date.now();
    proxy.hang();
    while (hangs.length === 0 && Date.now() - hungAt < 10_000) await sleep(20);
    expect(hangs).toHaveLength(1);
    expect(hangs[0]).toBeGreaterThanOrEqual(1_500);
    expect(hangs[0]).toBeLessThan(1_950);
    expect(Date.now() - hungAt).toBeLessThan(1_950);
  });
});
