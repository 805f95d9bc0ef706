import { describe, expect, it } from 'vitest';
import { sharedRead } from './shared-read.ts';

describe('sharedRead', () => {
  it('shares a read under way, and an answered one for keptForMs after it began; reads again after that', async () => {
    let reads = 0;
    let release!: () => void;
    const read = sharedRead(async () => {
      reads++;
      await new Promise<void>((resolve) => (release = resolve));
      return reads;
    }, 200);
    const first = read();
    const second = read();
    release();
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    expect(await read()).toBe(1); // answered, and within 200 ms
    await new Promise((resolve) => setTimeout(resolve, 250));
    const third = read();
    release();
    expect(await third).toBe(2);
  });

  it('with nothing kept, shares only the read under way; a failed read is forgotten at once', async () => {
    let reads = 0;
    const read = sharedRead(async () => {
      reads++;
      if (reads === 1) throw new Error('database away');
      return reads;
    });
    await expect(read()).rejects.toThrow('database away');
    expect(await read()).toBe(2);
    expect(await read()).toBe(3);
    const [a, b] = await Promise.all([read(), read()]);
    expect([a, b]).toEqual([4, 4]);
  });
});
