import { describe, expect, it } from 'vitest';
import { TrailingWrite } from './trailing-write.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TrailingWrite', () => {
  it('writes the first value at once, then the newest of those set within the gap, once, when the gap ends', async () => {
    const written: number[] = [];
    const head = new TrailingWrite(async (seq: number) => void written.push(seq), 100);
    head.set(1);
    for (let seq = 2; seq <= 20; seq++) head.set(seq);
    await sleep(20);
    expect(written).toEqual([1]);
    await sleep(150);
    expect(written).toEqual([1, 20]);
    await sleep(150);
    expect(written).toEqual([1, 20]); // nothing new: no write
  });

  it('never runs two writes at once: a value set during a slow write follows it', async () => {
    let running = 0;
    let most = 0;
    const written: number[] = [];
    const head = new TrailingWrite(async (seq: number) => {
      most = Math.max(most, ++running);
      await sleep(80);
      written.push(seq);
      running--;
    }, 10);
    head.set(1);
    await sleep(20);
    head.set(2);
    head.set(3);
    await sleep(250);
    expect(written).toEqual([1, 3]);
    expect(most).toBe(1);
  });

  it('tries a failed write again after the gap, unless a newer value came meanwhile', async () => {
    const attempts: number[] = [];
    let failures = 2;
    const head = new TrailingWrite(async (seq: number) => {
      attempts.push(seq);
      if (failures-- > 0) throw new Error('database unavailable');
    }, 30);
    head.set(7);
    await sleep(150);
    expect(attempts).toEqual([7, 7, 7]);
    head.set(8);
    await sleep(60);
    expect(attempts).toEqual([7, 7, 7, 8]);
  });

  it('flush writes what waits for the gap now, and waits for it', async () => {
    const written: number[] = [];
    const head = new TrailingWrite(async (seq: number) => {
      await sleep(10);
      written.push(seq);
    }, 10_000);
    head.set(1);
    head.set(2);
    await head.flush();
    expect(written).toEqual([1, 2]);
    await head.flush(); // nothing waiting
    expect(written).toEqual([1, 2]);
  });

  it('close writes what waits, then nothing more: no value set later, no failed write again', async () => {
    const attempts: number[] = [];
    const head = new TrailingWrite(async (seq: number) => {
      attempts.push(seq);
      if (seq === 2) throw new Error('client closed');
    }, 20);
    head.set(1);
    head.set(2);
    await head.close();
    head.set(3);
    await sleep(100);
    expect(attempts).toEqual([1, 2]);
  });
});
